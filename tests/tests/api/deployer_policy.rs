//! docs/deployer-policy.json, the least-privilege IAM policy of the identity that runs
//! `sam deploy` (with `sam build`'s upload) and `sam delete`, checked against what deploying
//! needs: every resource of template.yaml as the SAM translator expands it (what CloudFormation
//! creates), SAM CLI's own calls, its managed artifact stack, and the read-only commands of
//! docs/deploy.md.
//!
//! The actions of each resource type come from the `handlers` of its CloudFormation resource
//! schema (`aws cloudformation describe-type --type RESOURCE --type-name AWS::…`): create, read,
//! update, delete (not `list`, which CloudFormation does not call on a stack). Permissions a
//! schema lists only for a feature the template does not use (VPC, KMS keys, layers, …) are in
//! `when`: a resource that sets that property needs them too, so using the feature fails here
//! until the policy allows it. Each action is checked on the ARN CloudFormation calls it on: the
//! name CloudFormation generates (`<stack>-<LogicalId>-<suffix>`; a secret gets
//! `<LogicalId>-<suffix>`), or the name a resource sets. A resource type missing from the table
//! fails the test.
//!
//! Policy evaluation here: `Allow` statements, IAM wildcards (`*`, `?`) in `Action` (case
//! insensitive) and `Resource`; conditions are checked by the tests about them (PassRole,
//! AttachRolePolicy), not by the generic check.

use std::collections::{BTreeMap, BTreeSet};

use lookout_dev::template::workspace_root;

use crate::routes::transformed;
use serde_json::{json, Value};

const POLICY: &str = "docs/deployer-policy.json";
const STACK: &str = "lookout";
const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";
/// The stack `sam deploy --resolve-s3` creates once per account and region for the artifacts.
const SAM_MANAGED_STACK: &str = "aws-sam-cli-managed-default";
/// Its bucket, as CloudFormation names it (see `managed_stack`).
const ARTIFACTS: &str = "aws-sam-cli-managed-default-samclisourcebucket-1a2b3c4d5e6f";
/// Parameters the transform gets (the others have defaults).
const PARAMS: &[(&str, &str)] = &[
    ("AdminEmail", "admin@example.org"),
    ("SenderEmail", "lookout@example.org"),
];

/// Actions on one ARN. Placeholders: `{r}` region, `{a}` account, `{name}` the resource's
/// physical name, `{artifacts}` SAM's artifact bucket.
type Grant = (&'static str, &'static [&'static str]);

/// How the resource a type's actions act on is named.
#[derive(Debug)]
enum Named {
    /// By this property when set, else as CloudFormation generates it (`{stack}`, `{id}` the
    /// logical id, `{lid}` the logical id in lower case).
    Own(&'static str, &'static str),
    /// The resource this property refers to (`!Ref` or `!GetAtt`), named as its type says.
    Via(&'static str),
    /// Not by name (API Gateway ids are random).
    Id,
}

#[derive(Debug)]
struct Needs {
    ty: &'static str,
    named: Named,
    grants: &'static [Grant],
    /// Grants needed only by a resource that sets this property (`A.B` for a nested one).
    when: &'static [(&'static str, Grant)],
}

/// The name CloudFormation generates: the stack name, the logical id and 12 random characters.
const GENERATED: &str = "{stack}-{id}-1A2B3C4D5E6F";

const FUNCTION: &str = "arn:aws:lambda:{r}:{a}:function:{name}";
const ROLE: &str = "arn:aws:iam::{a}:role/{name}";
const TABLE: &str = "arn:aws:dynamodb:{r}:{a}:table/{name}";
const QUEUE: &str = "arn:aws:sqs:{r}:{a}:{name}";
const TOPIC: &str = "arn:aws:sns:{r}:{a}:{name}";
const SUBSCRIPTION: &str = "arn:aws:sns:{r}:{a}:{name}:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const LOG_GROUP: &str = "arn:aws:logs:{r}:{a}:log-group:{name}";
/// What `logs:DescribeLogGroups` is authorized on.
const LOG_GROUPS: &str = "arn:aws:logs:{r}:{a}:log-group::log-stream:";
const ALARM: &str = "arn:aws:cloudwatch:{r}:{a}:alarm:{name}";
const RULE: &str = "arn:aws:events:{r}:{a}:rule/{name}";
const SCHEDULE_GROUP: &str = "arn:aws:scheduler:{r}:{a}:schedule-group/{name}";
const SCHEDULE: &str = "arn:aws:scheduler:{r}:{a}:schedule/{name}/a-schedule";
const SECRET: &str = "arn:aws:secretsmanager:{r}:{a}:secret:{name}-AbCdEf";
const IDENTITY: &str = "arn:aws:ses:{r}:{a}:identity/{name}";
const ESM: &str =
    "arn:aws:lambda:{r}:{a}:event-source-mapping:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const APIS: &str = "arn:aws:apigateway:{r}::/apis";
const API: &str = "arn:aws:apigateway:{r}::/apis/a1b2c3d4e5";
const STAGES: &str = "arn:aws:apigateway:{r}::/apis/a1b2c3d4e5/stages";
const STAGE: &str = "arn:aws:apigateway:{r}::/apis/a1b2c3d4e5/stages/$default";
const API_TAGS: &str =
    "arn:aws:apigateway:{r}::/tags/arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Fapis%2Fa1b2c3d4e5";
const BUCKET: &str = "arn:aws:s3:::{name}";
const ARTIFACT: &str = "arn:aws:s3:::{artifacts}/lookout/0123456789abcdef0123456789abcdef";
const KMS_KEY: &str = "arn:aws:kms:{r}:{a}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const ANY: &str = "*";

const KMS_USE: &[&str] = &[
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
];

/// What CloudFormation needs per resource type, from the resource schemas' `handlers`.
const NEEDS: &[Needs] = &[
    Needs {
        ty: "AWS::ApiGatewayV2::Api",
        named: Named::Id,
        grants: &[
            (APIS, &["apigateway:POST"]),
            (
                API,
                &[
                    "apigateway:GET",
                    "apigateway:PUT",
                    "apigateway:PATCH",
                    "apigateway:POST",
                    "apigateway:DELETE",
                ],
            ),
            (
                API_TAGS,
                &["apigateway:GET", "apigateway:POST", "apigateway:DELETE"],
            ),
        ],
        when: &[("BodyS3Location", (BUCKET, &["s3:GetObject"]))],
    },
    Needs {
        ty: "AWS::ApiGatewayV2::Stage",
        named: Named::Id,
        grants: &[
            (STAGES, &["apigateway:POST", "apigateway:GET"]),
            (
                STAGE,
                &[
                    "apigateway:GET",
                    "apigateway:PATCH",
                    "apigateway:DELETE",
                    "apigateway:TagResource",
                    "apigateway:UntagResource",
                ],
            ),
            (
                API_TAGS,
                &["apigateway:GET", "apigateway:POST", "apigateway:DELETE"],
            ),
        ],
        // API Gateway's access logs: what the caller needs to turn them on (API Gateway
        // developer guide, "Configure logging for HTTP APIs").
        when: &[
            (
                "AccessLogSettings",
                (
                    ANY,
                    &[
                        "logs:CreateLogDelivery",
                        "logs:GetLogDelivery",
                        "logs:UpdateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies",
                    ],
                ),
            ),
            (
                "AccessLogSettings",
                (LOG_GROUPS, &["logs:DescribeLogGroups"]),
            ),
        ],
    },
    Needs {
        ty: "AWS::CloudWatch::Alarm",
        named: Named::Own("AlarmName", GENERATED),
        grants: &[
            (
                ALARM,
                &[
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:DeleteAlarms",
                    "cloudwatch:TagResource",
                    "cloudwatch:UntagResource",
                    "cloudwatch:ListTagsForResource",
                ],
            ),
            (ANY, &["cloudwatch:DescribeAlarms"]),
        ],
        when: &[],
    },
    Needs {
        ty: "AWS::DynamoDB::Table",
        named: Named::Own("TableName", GENERATED),
        grants: &[(
            TABLE,
            &[
                "dynamodb:CreateTable",
                "dynamodb:UpdateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeContributorInsights",
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:GetResourcePolicy",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:ListTagsOfResource",
            ],
        )],
        // SSEEnabled without a key uses the AWS managed key, whose key policy lets DynamoDB
        // use it for the account: no kms: permission then.
        when: &[
            ("SSESpecification.KMSMasterKeyId", (KMS_KEY, KMS_USE)),
            (
                "ContributorInsightsSpecification",
                (TABLE, &["dynamodb:UpdateContributorInsights"]),
            ),
            (
                "KinesisStreamSpecification",
                (
                    TABLE,
                    &[
                        "dynamodb:EnableKinesisStreamingDestination",
                        "dynamodb:DisableKinesisStreamingDestination",
                        "dynamodb:UpdateKinesisStreamingDestination",
                    ],
                ),
            ),
            (
                "ResourcePolicy",
                (
                    TABLE,
                    &[
                        "dynamodb:PutResourcePolicy",
                        "dynamodb:DeleteResourcePolicy",
                    ],
                ),
            ),
            (
                "ImportSourceSpecification",
                (TABLE, &["dynamodb:ImportTable", "dynamodb:DescribeImport"]),
            ),
        ],
    },
    Needs {
        ty: "AWS::Events::Rule",
        named: Named::Own("Name", GENERATED),
        // iam:PassRole (a target's RoleArn) is checked by the PassRole test.
        grants: &[(
            RULE,
            &[
                "events:PutRule",
                "events:DescribeRule",
                "events:DeleteRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:UntagResource",
                "events:ListTagsForResource",
            ],
        )],
        when: &[],
    },
    Needs {
        ty: "AWS::IAM::Role",
        named: Named::Own("RoleName", GENERATED),
        // iam:AttachRolePolicy (ManagedPolicyArns) is checked by the AttachRolePolicy test.
        grants: &[(
            ROLE,
            &[
                "iam:CreateRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRole",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:DetachRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
            ],
        )],
        when: &[(
            "PermissionsBoundary",
            (
                ROLE,
                &[
                    "iam:PutRolePermissionsBoundary",
                    "iam:DeleteRolePermissionsBoundary",
                ],
            ),
        )],
    },
    Needs {
        ty: "AWS::Lambda::EventInvokeConfig",
        named: Named::Via("FunctionName"),
        grants: &[(
            FUNCTION,
            &[
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig",
            ],
        )],
        when: &[],
    },
    Needs {
        ty: "AWS::Lambda::EventSourceMapping",
        named: Named::Via("FunctionName"),
        grants: &[
            // Authorized on `*` (with the lambda:FunctionArn condition key).
            (ANY, &["lambda:CreateEventSourceMapping"]),
            (
                ESM,
                &[
                    "lambda:GetEventSourceMapping",
                    "lambda:UpdateEventSourceMapping",
                    "lambda:DeleteEventSourceMapping",
                    "lambda:TagResource",
                    "lambda:UntagResource",
                    "lambda:ListTags",
                ],
            ),
        ],
        when: &[("KmsKeyArn", (KMS_KEY, KMS_USE))],
    },
    Needs {
        ty: "AWS::Lambda::Function",
        named: Named::Own("FunctionName", GENERATED),
        // iam:PassRole (Role) is checked by the PassRole test.
        grants: &[
            (
                FUNCTION,
                &[
                    "lambda:CreateFunction",
                    "lambda:GetFunction",
                    "lambda:GetFunctionConfiguration",
                    "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration",
                    "lambda:DeleteFunction",
                    "lambda:PutFunctionConcurrency",
                    "lambda:DeleteFunctionConcurrency",
                    "lambda:GetFunctionCodeSigningConfig",
                    "lambda:GetFunctionRecursionConfig",
                    "lambda:GetFunctionScalingConfig",
                    "lambda:GetRuntimeManagementConfig",
                    "lambda:TagResource",
                    "lambda:UntagResource",
                    "lambda:ListTags",
                ],
            ),
            // The code SAM uploaded: Lambda reads it with the caller's permissions.
            (ARTIFACT, &["s3:GetObject", "s3:GetObjectVersion"]),
        ],
        when: &[
            ("KmsKeyArn", (KMS_KEY, KMS_USE)),
            (
                "VpcConfig",
                (
                    ANY,
                    &[
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeNetworkInterfaces",
                    ],
                ),
            ),
            (
                "FileSystemConfigs",
                (ANY, &["elasticfilesystem:DescribeMountTargets"]),
            ),
            ("Layers", (ANY, &["lambda:GetLayerVersion"])),
            (
                "CodeSigningConfigArn",
                (
                    FUNCTION,
                    &[
                        "lambda:GetCodeSigningConfig",
                        "lambda:PutFunctionCodeSigningConfig",
                        "lambda:DeleteFunctionCodeSigningConfig",
                    ],
                ),
            ),
            (
                "RuntimeManagementConfig",
                (FUNCTION, &["lambda:PutRuntimeManagementConfig"]),
            ),
            (
                "RecursiveLoop",
                (FUNCTION, &["lambda:PutFunctionRecursionConfig"]),
            ),
            (
                "FunctionScalingConfig",
                (FUNCTION, &["lambda:PutFunctionScalingConfig"]),
            ),
            (
                "CapacityProviderConfig",
                (
                    FUNCTION,
                    &[
                        "lambda:PassCapacityProvider",
                        "lambda:PutFunctionScalingConfig",
                        "lambda:PublishVersion",
                    ],
                ),
            ),
            (
                "PublishToLatestPublished",
                (FUNCTION, &["lambda:PublishVersion"]),
            ),
        ],
    },
    Needs {
        ty: "AWS::Lambda::Permission",
        named: Named::Via("FunctionName"),
        grants: &[(
            FUNCTION,
            &[
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:GetPolicy",
            ],
        )],
        when: &[],
    },
    Needs {
        ty: "AWS::Logs::LogGroup",
        named: Named::Own("LogGroupName", GENERATED),
        grants: &[
            (
                LOG_GROUP,
                &[
                    "logs:CreateLogGroup",
                    "logs:DeleteLogGroup",
                    "logs:PutRetentionPolicy",
                    "logs:DeleteRetentionPolicy",
                    "logs:GetDataProtectionPolicy",
                    "logs:DeleteDataProtectionPolicy",
                    "logs:TagResource",
                    "logs:UntagResource",
                    "logs:ListTagsForResource",
                ],
            ),
            (LOG_GROUPS, &["logs:DescribeLogGroups"]),
        ],
        when: &[
            (
                "KmsKeyId",
                (
                    LOG_GROUP,
                    &["logs:AssociateKmsKey", "logs:DisassociateKmsKey"],
                ),
            ),
            (
                "DataProtectionPolicy",
                (LOG_GROUP, &["logs:PutDataProtectionPolicy"]),
            ),
            (
                "DataProtectionPolicy",
                (
                    ANY,
                    &[
                        "logs:CreateLogDelivery",
                        "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies",
                    ],
                ),
            ),
        ],
    },
    Needs {
        ty: "AWS::SES::EmailIdentity",
        named: Named::Own("EmailIdentity", ""),
        grants: &[(
            IDENTITY,
            &[
                "ses:CreateEmailIdentity",
                "ses:GetEmailIdentity",
                "ses:DeleteEmailIdentity",
                "ses:PutEmailIdentityDkimAttributes",
                "ses:PutEmailIdentityFeedbackAttributes",
                "ses:PutEmailIdentityMailFromAttributes",
                "ses:TagResource",
                "ses:UntagResource",
                "ses:ListTagsForResource",
            ],
        )],
        when: &[
            (
                "ConfigurationSetAttributes",
                (
                    IDENTITY,
                    &["ses:PutEmailIdentityConfigurationSetAttributes"],
                ),
            ),
            (
                "DkimSigningAttributes",
                (IDENTITY, &["ses:PutEmailIdentityDkimSigningAttributes"]),
            ),
        ],
    },
    Needs {
        ty: "AWS::SNS::Subscription",
        named: Named::Via("TopicArn"),
        grants: &[
            (TOPIC, &["sns:Subscribe"]),
            (
                SUBSCRIPTION,
                &[
                    "sns:GetSubscriptionAttributes",
                    "sns:SetSubscriptionAttributes",
                    "sns:Unsubscribe",
                ],
            ),
        ],
        // iam:PassRole (SubscriptionRoleArn) is checked by the PassRole test.
        when: &[("SubscriptionRoleArn", (ROLE, &["iam:GetRole"]))],
    },
    Needs {
        ty: "AWS::SNS::Topic",
        named: Named::Own("TopicName", GENERATED),
        grants: &[(
            TOPIC,
            &[
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:GetDataProtectionPolicy",
                "sns:ListSubscriptionsByTopic",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
            ],
        )],
        when: &[
            (
                "Subscription",
                (TOPIC, &["sns:Subscribe", "sns:Unsubscribe"]),
            ),
            (
                "DataProtectionPolicy",
                (TOPIC, &["sns:PutDataProtectionPolicy"]),
            ),
            ("KmsMasterKeyId", (KMS_KEY, KMS_USE)),
            // iam:PassRole (its *RoleArn) is checked by the PassRole test.
            ("DeliveryStatusLogging", (ROLE, &["iam:GetRole"])),
        ],
    },
    Needs {
        ty: "AWS::SQS::Queue",
        named: Named::Own("QueueName", GENERATED),
        grants: &[(
            QUEUE,
            &[
                "sqs:CreateQueue",
                "sqs:GetQueueUrl",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:DeleteQueue",
                "sqs:TagQueue",
                "sqs:UntagQueue",
                "sqs:ListQueueTags",
            ],
        )],
        when: &[("KmsMasterKeyId", (KMS_KEY, KMS_USE))],
    },
    Needs {
        ty: "AWS::Scheduler::ScheduleGroup",
        named: Named::Own("Name", GENERATED),
        grants: &[
            (
                SCHEDULE_GROUP,
                &[
                    "scheduler:CreateScheduleGroup",
                    "scheduler:GetScheduleGroup",
                    "scheduler:DeleteScheduleGroup",
                    "scheduler:TagResource",
                    "scheduler:UntagResource",
                    "scheduler:ListTagsForResource",
                ],
            ),
            // Deleting a group deletes its schedules.
            (SCHEDULE, &["scheduler:DeleteSchedule"]),
        ],
        when: &[],
    },
    Needs {
        ty: "AWS::SecretsManager::Secret",
        // CloudFormation names a secret `<LogicalId>-<suffix>`, without the stack name.
        named: Named::Own("Name", "{id}-1A2B3C4D5E6F"),
        grants: &[(
            SECRET,
            &[
                "secretsmanager:CreateSecret",
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:UpdateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
        )],
        when: &[
            (
                "GenerateSecretString",
                (ANY, &["secretsmanager:GetRandomPassword"]),
            ),
            (
                "ReplicaRegions",
                (
                    SECRET,
                    &[
                        "secretsmanager:ReplicateSecretToRegions",
                        "secretsmanager:RemoveRegionsFromReplication",
                    ],
                ),
            ),
            ("KmsKeyId", (KMS_KEY, KMS_USE)),
        ],
    },
    // SAM CLI's managed artifact stack (`managed_stack`).
    Needs {
        ty: "AWS::S3::Bucket",
        named: Named::Own("BucketName", "{stack}-{lid}-1a2b3c4d5e6f"),
        grants: &[(
            BUCKET,
            &[
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:GetBucketAcl",
                "s3:GetBucketVersioning",
                "s3:PutBucketVersioning",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                "s3:GetBucketTagging",
                "s3:PutBucketTagging",
                "s3:DeleteBucketTagging",
                "s3:GetBucketOwnershipControls",
                "s3:GetAccelerateConfiguration",
                "s3:GetAnalyticsConfiguration",
                "s3:GetBucketCORS",
                "s3:GetBucketLogging",
                "s3:GetBucketNotification",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketWebsite",
                "s3:GetIntelligentTieringConfiguration",
                "s3:GetInventoryConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetMetricsConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetBucketMetadataTableConfiguration",
            ],
        )],
        when: &[],
    },
    Needs {
        ty: "AWS::S3::BucketPolicy",
        named: Named::Via("Bucket"),
        grants: &[(
            BUCKET,
            &[
                "s3:GetBucketPolicy",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
            ],
        )],
        when: &[],
    },
];

const LOOKOUT_STACK_ARN: &str =
    "arn:aws:cloudformation:{r}:{a}:stack/lookout/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const MANAGED_STACK_ARN: &str = "arn:aws:cloudformation:{r}:{a}:stack/aws-sam-cli-managed-default/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// SAM CLI's own calls (samcli/lib/deploy/deployer.py, lib/delete/cfn_utils.py,
/// lib/package/s3_uploader.py, lib/utils/managed_cloudformation_stack.py).
const SAM_CLI: &[Grant] = &[
    (
        LOOKOUT_STACK_ARN,
        &[
            "cloudformation:DescribeStacks",
            "cloudformation:GetTemplateSummary",
            "cloudformation:CreateChangeSet",
            "cloudformation:DescribeChangeSet",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:DescribeStackEvents",
            "cloudformation:CreateStack",
            "cloudformation:UpdateStack",
            "cloudformation:RollbackStack",
            "cloudformation:GetTemplate",
            "cloudformation:ListChangeSets",
            "cloudformation:DeleteStack",
        ],
    ),
    // template.yaml's `Transform: AWS::Serverless-2016-10-31`, run by CloudFormation.
    (
        "arn:aws:cloudformation:{r}:aws:transform/Serverless-2016-10-31",
        &["cloudformation:CreateChangeSet"],
    ),
    (
        MANAGED_STACK_ARN,
        &[
            "cloudformation:DescribeStacks",
            "cloudformation:CreateChangeSet",
            "cloudformation:DescribeChangeSet",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:UpdateStack",
        ],
    ),
    (
        ANY,
        &[
            "cloudformation:ValidateTemplate",
            "cloudformation:GetTemplateSummary",
        ],
    ),
    ("arn:aws:s3:::{artifacts}", &["s3:ListBucket"]),
    (
        ARTIFACT,
        &[
            "s3:PutObject",
            "s3:GetObject",
            "s3:GetObjectTagging",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
        ],
    ),
];

/// The read-only commands of docs/deploy.md, and setting the messenger tokens.
const OPERATE: &[Grant] = &[
    (
        LOOKOUT_STACK_ARN,
        &[
            "cloudformation:DescribeStacks",
            "cloudformation:DescribeStackResource",
            "cloudformation:DescribeStackResources",
        ],
    ),
    (ANY, &["lambda:GetAccountSettings", "ses:GetAccount"]),
    (
        "arn:aws:sns:{r}:{a}:lookout-AlarmTopic-1A2B3C4D5E6F",
        &["sns:ListSubscriptionsByTopic"],
    ),
    (
        "arn:aws:secretsmanager:{r}:{a}:secret:MessengerSecret-1A2B3C4D5E6F-AbCdEf",
        &["secretsmanager:PutSecretValue"],
    ),
];

/// The only actions the policy may allow on `Resource: "*"`: no resource-level permissions,
/// or (CreateEventSourceMapping) a condition key instead.
const ON_ANY_RESOURCE: &[&str] = &[
    "cloudformation:ValidateTemplate",
    "cloudformation:GetTemplateSummary",
    "lambda:CreateEventSourceMapping",
    "lambda:GetAccountSettings",
    "ses:GetAccount",
    "secretsmanager:GetRandomPassword",
    "cloudwatch:DescribeAlarms",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
];

/// Properties whose value is an IAM role that a service is given (iam:PassRole).
fn passes_role(key: &str) -> bool {
    key == "Role" || key.ends_with("RoleArn")
}

/// SAM CLI's managed stack as it creates it (samcli/lib/bootstrap/bootstrap.py), the
/// properties that matter here.
fn managed_stack() -> Value {
    json!({"Resources": {
        "SamCliSourceBucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "PublicAccessBlockConfiguration": {"BlockPublicPolicy": "true"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "Tags": [{"Key": "ManagedStackSource", "Value": "AwsSamCli"}]}},
        "SamCliSourceBucketBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "SamCliSourceBucket"}}}
    }})
}

fn policy() -> Value {
    let path = workspace_root().join(POLICY);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{POLICY}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{POLICY} is not JSON: {e}"))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        None => vec![],
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().expect("a list of strings").to_owned())
            .collect(),
        Some(other) => panic!("expected a string or a list of strings, not {other}"),
    }
}

fn statements(policy: &Value) -> &Vec<Value> {
    policy["Statement"].as_array().expect("Statement: a list")
}

/// IAM's wildcard match: `*` any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// The statements that allow `action` on `resource`, conditions aside (none if a `Deny`
/// statement matches).
fn allowing<'a>(policy: &'a Value, action: &str, resource: &str) -> Vec<&'a Value> {
    let matching = |s: &&Value| {
        strings(s.get("Action"))
            .iter()
            .any(|p| action_matches(p, action))
            && strings(s.get("Resource")).iter().any(|p| glob(p, resource))
    };
    let effect = |s: &&Value, e: &str| s["Effect"].as_str() == Some(e);
    if statements(policy)
        .iter()
        .filter(|s| effect(s, "Deny"))
        .any(|s| matching(&s))
    {
        return vec![];
    }
    statements(policy)
        .iter()
        .filter(|s| effect(s, "Allow") && matching(s))
        .collect()
}

fn fill(arn: &str, name: &str) -> String {
    arn.replace("{r}", REGION)
        .replace("{a}", ACCOUNT)
        .replace("{artifacts}", ARTIFACTS)
        .replace("{name}", name)
}

fn needs(ty: &str) -> Option<&'static Needs> {
    NEEDS.iter().find(|n| n.ty == ty)
}

/// A name property's value, resolved where it is plain enough.
fn resolve_name(cfn: &Value, stack: &str, v: &Value) -> Option<String> {
    let param = |p: &str| -> Option<String> {
        match p {
            "AWS::StackName" => Some(stack.to_owned()),
            "AWS::Region" => Some(REGION.to_owned()),
            "AWS::AccountId" => Some(ACCOUNT.to_owned()),
            "AWS::Partition" => Some("aws".to_owned()),
            _ => PARAMS
                .iter()
                .find(|(k, _)| *k == p)
                .map(|(_, v)| (*v).to_owned())
                .or_else(|| cfn["Parameters"][p]["Default"].as_str().map(str::to_owned)),
        }
    };
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) if o.len() == 1 => {
            if let Some(p) = o.get("Ref").and_then(Value::as_str) {
                return param(p);
            }
            let mut s = o.get("Fn::Sub")?.as_str()?.to_owned();
            while let Some(start) = s.find("${") {
                let end = start + s[start..].find('}')?;
                let value = param(&s[start + 2..end])?;
                s.replace_range(start..=end, &value);
            }
            Some(s)
        }
        _ => None,
    }
}

/// The logical id a `!Ref` or `!GetAtt` refers to.
fn referred(v: &Value) -> Option<&str> {
    v.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| v.get("Fn::GetAtt")?.get(0)?.as_str())
}

/// The physical name of resource `id` (or of the one its actions act on).
fn physical_name(cfn: &Value, stack: &str, id: &str) -> String {
    let res = &cfn["Resources"][id];
    let ty = res["Type"].as_str().unwrap_or_default();
    let Some(n) = needs(ty) else {
        panic!("{id} ({ty}) is not in the table of tests/tests/api/deployer_policy.rs")
    };
    match &n.named {
        Named::Id => String::new(),
        Named::Via(prop) => {
            let v = &res["Properties"][*prop];
            let target = referred(v).unwrap_or_else(|| {
                panic!("{id}.{prop} is not a !Ref or !GetAtt ({v}): extend physical_name")
            });
            physical_name(cfn, stack, target)
        }
        Named::Own(prop, generated) => match res["Properties"].get(*prop) {
            Some(v) => resolve_name(cfn, stack, v)
                .unwrap_or_else(|| panic!("cannot resolve {id}.{prop} ({v}): extend resolve_name")),
            None => {
                assert!(!generated.is_empty(), "{id} has no {prop}");
                generated
                    .replace("{stack}", stack)
                    .replace("{id}", id)
                    .replace("{lid}", &id.to_ascii_lowercase())
            }
        },
    }
}

fn has_property(props: &Value, path: &str) -> bool {
    path.split('.')
        .try_fold(props, |v, key| v.get(key))
        .is_some()
}

/// What the policy lacks for the resources of `cfn` deployed as stack `stack`: the types the
/// table lacks, and per type and action one resource and ARN it is missing on.
fn missing(
    policy: &Value,
    cfn: &Value,
    stack: &str,
) -> (BTreeSet<String>, BTreeMap<(String, String), String>) {
    let mut untabled = BTreeSet::new();
    let mut denied = BTreeMap::new();
    for (id, res) in cfn["Resources"].as_object().expect("Resources") {
        let ty = res["Type"].as_str().expect("Type");
        let Some(n) = needs(ty) else {
            untabled.insert(ty.to_owned());
            continue;
        };
        let name = physical_name(cfn, stack, id);
        let props = &res["Properties"];
        let conditional = n
            .when
            .iter()
            .filter(|(path, _)| has_property(props, path))
            .map(|(_, g)| g);
        for (arn, actions) in n.grants.iter().chain(conditional) {
            let arn = fill(arn, &name);
            for action in *actions {
                if allowing(policy, action, &arn).is_empty() {
                    denied
                        .entry((ty.to_owned(), (*action).to_owned()))
                        .or_insert_with(|| format!("{id}: {action} on {arn}"));
                }
            }
        }
    }
    (untabled, denied)
}

fn assert_covers(policy: &Value, cfn: &Value, stack: &str) {
    let (untabled, denied) = missing(policy, cfn, stack);
    assert!(
        untabled.is_empty(),
        "resource types of the {stack} stack that the table of \
         tests/tests/api/deployer_policy.rs lacks: {untabled:?}; look up what CloudFormation needs \
         for each (the `handlers` of its resource schema), add its actions to the table and to \
         docs/deployer-policy.json"
    );
    assert!(
        denied.is_empty(),
        "{POLICY} does not allow what CloudFormation needs for the {stack} stack:\n{}",
        denied.values().cloned().collect::<Vec<_>>().join("\n")
    );
}

fn assert_allows(policy: &Value, grants: &[Grant], what: &str) {
    let mut denied = vec![];
    for (arn, actions) in grants {
        let arn = fill(arn, "");
        for a in *actions {
            if allowing(policy, a, &arn).is_empty() {
                denied.push(format!("{a} on {arn}"));
            }
        }
    }
    assert!(
        denied.is_empty(),
        "{POLICY} does not allow what {what} needs:\n{}",
        denied.join("\n")
    );
}

/// The values of condition key `key` in the statement's `Condition` under one of `operators`.
fn condition_values(statement: &Value, operators: &[&str], key: &str) -> Option<Vec<String>> {
    let cond = statement.get("Condition")?.as_object()?;
    let values: Vec<String> = cond
        .iter()
        .filter(|(op, _)| operators.contains(&op.as_str()))
        .filter_map(|(_, keys)| {
            keys.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| strings(Some(v)))
        })
        .flatten()
        .collect();
    (!values.is_empty()).then_some(values)
}

fn statements_with<'a>(policy: &'a Value, action: &str) -> Vec<&'a Value> {
    statements(policy)
        .iter()
        .filter(|s| {
            strings(s.get("Action"))
                .iter()
                .any(|p| action_matches(p, action))
        })
        .collect()
}

#[test]
fn deployer_policy_covers_every_resource_type_of_the_transformed_template() {
    let cfn = transformed();
    let types: BTreeSet<&str> = cfn["Resources"]
        .as_object()
        .expect("Resources")
        .values()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    assert!(
        types.contains("AWS::Lambda::Function") && types.contains("AWS::IAM::Role"),
        "{types:?}"
    );
    assert_covers(&policy(), cfn, STACK);
}

#[test]
fn deployer_policy_covers_sams_managed_artifact_stack() {
    let cfn = managed_stack();
    assert_eq!(
        physical_name(&cfn, SAM_MANAGED_STACK, "SamCliSourceBucket"),
        ARTIFACTS
    );
    assert_covers(&policy(), &cfn, SAM_MANAGED_STACK);
}

#[test]
fn deployer_policy_allows_sam_deploy_and_sam_delete() {
    assert_allows(&policy(), SAM_CLI, "SAM CLI (sam deploy, sam delete)");
}

#[test]
fn deployer_policy_allows_the_commands_of_the_deploy_guide() {
    assert_allows(
        &policy(),
        OPERATE,
        "docs/deploy.md's commands (Sid Operate)",
    );
}

#[test]
fn deployer_policy_is_least_privilege() {
    let policy = policy();
    assert_eq!(policy["Version"], "2012-10-17", "{POLICY}: Version");
    let mut sids = BTreeSet::new();
    for s in statements(&policy) {
        let sid = s["Sid"]
            .as_str()
            .unwrap_or_else(|| panic!("a statement without Sid: {s}"));
        assert!(sids.insert(sid), "Sid {sid} twice");
        for key in ["NotAction", "NotResource", "Principal", "NotPrincipal"] {
            assert!(
                s.get(key).is_none(),
                "{sid}: {key} (an identity policy without it)"
            );
        }
        assert!(
            matches!(s["Effect"].as_str(), Some("Allow" | "Deny")),
            "{sid}: Effect"
        );
        let actions = strings(s.get("Action"));
        let resources = strings(s.get("Resource"));
        assert!(
            !actions.is_empty() && !resources.is_empty(),
            "{sid}: Action and Resource"
        );
        for a in &actions {
            assert!(a != "*", "{sid}: Action \"*\"");
            let (service, name) = a.split_once(':').unwrap_or_else(|| panic!("{sid}: {a}"));
            assert!(
                name != "*",
                "{sid}: {a} allows a whole service; list the actions"
            );
            assert!(
                !(service.eq_ignore_ascii_case("iam") && a.contains(['*', '?'])),
                "{sid}: {a}: no wildcard in iam actions"
            );
        }
        if resources.iter().any(|r| r == "*") {
            let unscoped: Vec<&String> = actions
                .iter()
                .filter(|a| !ON_ANY_RESOURCE.iter().any(|x| x.eq_ignore_ascii_case(a)))
                .collect();
            assert!(
                unscoped.is_empty(),
                "{sid}: {unscoped:?} on Resource \"*\"; scope them to the stack's resources \
                 (or, if the service has no resource-level permissions for them, add them to \
                 ON_ANY_RESOURCE with the reason)"
            );
        }
    }
}

/// Every role CloudFormation hands to a service (a function's `Role`, a target's `RoleArn`, …)
/// may be passed to that service, and iam:PassRole is allowed only on the stack's roles, only
/// with `iam:PassedToService`, and only to services the template passes roles to.
#[test]
fn deployer_policy_passes_roles_only_to_the_services_the_template_passes_them_to() {
    let cfn = transformed();
    let policy = policy();
    let resources = cfn["Resources"].as_object().expect("Resources");
    let is_role =
        |id: &str| resources.get(id).and_then(|r| r["Type"].as_str()) == Some("AWS::IAM::Role");

    // (role, service) pairs: properties naming a role of the stack, outside IAM resources and
    // environment variables.
    fn walk<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(o) => {
                if passes_role(key) {
                    out.push(v);
                }
                for (k, x) in o {
                    if k != "Environment" {
                        walk(x, k, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, key, out)),
            _ => {}
        }
    }
    let mut passed: BTreeSet<(String, String)> = BTreeSet::new();
    for res in resources.values() {
        if res["Type"]
            .as_str()
            .is_some_and(|t| t.starts_with("AWS::IAM::"))
        {
            continue;
        }
        let mut found = vec![];
        walk(&res["Properties"], "", &mut found);
        for v in found {
            let Some(role) = referred(v).filter(|r| is_role(r)) else {
                continue;
            };
            let trust = &resources[role]["Properties"]["AssumeRolePolicyDocument"];
            for st in statements(trust) {
                for service in strings(st["Principal"].get("Service")) {
                    passed.insert((role.to_owned(), service));
                }
            }
        }
    }
    let services: BTreeSet<&str> = passed.iter().map(|(_, s)| s.as_str()).collect();
    assert!(services.contains("lambda.amazonaws.com"), "{passed:?}");

    for s in statements_with(&policy, "iam:PassRole") {
        let sid = s["Sid"].as_str().unwrap_or_default();
        assert!(
            !strings(s.get("Resource")).iter().any(|r| r == "*"),
            "{sid}: iam:PassRole on Resource \"*\""
        );
        let to = condition_values(s, &["StringEquals", "StringLike"], "iam:PassedToService")
            .unwrap_or_else(|| {
                panic!("{sid}: iam:PassRole without an iam:PassedToService condition")
            });
        for service in &to {
            assert!(
                services.iter().any(|x| glob(service, x)),
                "{sid}: iam:PassedToService {service}, a service the template passes no role to \
                 (it passes roles to {services:?})"
            );
        }
    }
    for (role, service) in &passed {
        let arn = fill(ROLE, &physical_name(cfn, STACK, role));
        let ok = allowing(&policy, "iam:PassRole", &arn).iter().any(|s| {
            condition_values(s, &["StringEquals", "StringLike"], "iam:PassedToService")
                .is_some_and(|to| to.iter().any(|p| glob(p, service)))
        });
        assert!(
            ok,
            "{POLICY} does not allow iam:PassRole of {role} ({arn}) to {service}"
        );
    }
}

/// The managed policies of the template's roles may be attached, and only those.
#[test]
fn deployer_policy_attaches_only_the_managed_policies_the_template_uses() {
    let cfn = transformed();
    let policy = policy();
    let mut used: BTreeMap<String, String> = BTreeMap::new(); // policy ARN -> a role using it
    for (id, res) in cfn["Resources"].as_object().expect("Resources") {
        if res["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for v in res["Properties"]["ManagedPolicyArns"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let arn = resolve_name(cfn, STACK, v)
                .unwrap_or_else(|| panic!("{id}: cannot resolve the managed policy {v}"));
            used.insert(arn, id.clone());
        }
    }
    const OPS: &[&str] = &["ArnEquals", "ArnLike", "StringEquals", "StringLike"];
    for s in statements_with(&policy, "iam:AttachRolePolicy") {
        let sid = s["Sid"].as_str().unwrap_or_default();
        let allowed = condition_values(s, OPS, "iam:PolicyARN").unwrap_or_else(|| {
            panic!("{sid}: iam:AttachRolePolicy without an iam:PolicyARN condition")
        });
        for p in &allowed {
            assert!(
                used.contains_key(p),
                "{sid}: {p} may be attached, but no role of the template uses it"
            );
        }
    }
    for (arn, role) in &used {
        let role_arn = fill(ROLE, &physical_name(cfn, STACK, role));
        let ok = allowing(&policy, "iam:AttachRolePolicy", &role_arn)
            .iter()
            .any(|s| condition_values(s, OPS, "iam:PolicyARN").is_some_and(|v| v.contains(arn)));
        assert!(
            ok,
            "{POLICY} does not let CloudFormation attach {arn} (to {role}): add it to the \
             iam:PolicyARN condition of the AttachRolePolicy statement"
        );
    }
}

#[test]
fn iam_wildcards_match_as_iam_does() {
    assert!(glob(
        "arn:aws:iam::*:role/lookout*",
        "arn:aws:iam::1:role/lookout-X-1"
    ));
    assert!(!glob(
        "arn:aws:iam::*:role/lookout*",
        "arn:aws:iam::1:role/other"
    ));
    assert!(glob("a?c*", "abcdef") && glob("*", "") && !glob("a?c", "ac"));
    assert!(action_matches(
        "Lambda:createfunction",
        "lambda:CreateFunction"
    ));
    assert!(action_matches("lambda:Get*", "lambda:GetFunction"));
    assert!(!glob("arn:aws:s3:::bucket", "*"));
}

/// The checker itself: a type missing from the table, a feature's extra permissions, a
/// resource named outside the policy's prefixes, and an action on another resource (a
/// permission's function) are all reported.
#[test]
fn the_coverage_check_reports_what_the_policy_lacks() {
    let cfn = json!({"Resources": {
        "Thing": {"Type": "AWS::Example::Thing"},
        "InVpc": {"Type": "AWS::Lambda::Function", "Properties": {"VpcConfig": {}}},
        "Named": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "other-queue"}},
        "Allow": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Elsewhere"}}},
        "Elsewhere": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": {"Fn::Sub": "other-${AWS::StackName}"}}}
    }});
    let (untabled, denied) = missing(&policy(), &cfn, STACK);
    assert_eq!(untabled, BTreeSet::from(["AWS::Example::Thing".to_owned()]));
    let has = |ty: &str, action: &str| denied.contains_key(&(ty.to_owned(), action.to_owned()));
    assert!(
        has("AWS::Lambda::Function", "ec2:DescribeVpcs"),
        "{denied:?}"
    );
    assert!(has("AWS::SQS::Queue", "sqs:CreateQueue"), "{denied:?}");
    assert!(
        has("AWS::Lambda::Permission", "lambda:AddPermission"),
        "{denied:?}"
    );
    // Only Elsewhere, named outside `lookout*`, lacks CreateFunction.
    let create = &denied[&(
        "AWS::Lambda::Function".to_owned(),
        "lambda:CreateFunction".to_owned(),
    )];
    assert!(
        create.starts_with("Elsewhere:") && create.ends_with("function:other-lookout"),
        "{create}"
    );
}
