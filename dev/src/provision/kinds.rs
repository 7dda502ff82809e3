//! The CloudFormation resource types provisioning creates or names.

pub const TABLE: &str = "AWS::DynamoDB::Table";
pub const QUEUE: &str = "AWS::SQS::Queue";
pub const EMAIL_IDENTITY: &str = "AWS::SES::EmailIdentity";
pub const SCHEDULE_GROUP: &str = "AWS::Scheduler::ScheduleGroup";
pub const IAM_ROLE: &str = "AWS::IAM::Role";
pub const SECRET: &str = "AWS::SecretsManager::Secret";
