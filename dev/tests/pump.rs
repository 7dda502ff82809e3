//! The event pump against a real moto and a stub Lambda Invoke API (what `cargo lambda watch`
//! serves). Each test provisions uuid-named queues from a small inline template; one-time
//! schedules live in a schedule group named like the test's prefix, and each pump only serves
//! its own group, so tests sharing one moto do not fire each other's schedules.
// clippy.toml allows these in #[test] functions only; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use chrono::{DateTime, TimeDelta, Utc};
use lookout_dev::moto;
use lookout_dev::provision::{provision, Stack};
use lookout_dev::pump::{Pump, PumpConfig, TickReport};
use lookout_dev::template::Template;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ------------------------------------------------------------------ stub Invoke API

/// What the stub answers to one invocation.
struct Reply {
    status: u16,
    function_error: bool,
    body: String,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            function_error: false,
            body: body.to_string(),
        }
    }

    fn unhandled() -> Self {
        Self {
            status: 200,
            function_error: true,
            body: json!({"errorType": "Boom", "errorMessage": "boom"}).to_string(),
        }
    }
}

type Respond = Arc<dyn Fn(&str, &Value) -> Reply + Send + Sync>;
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// A Lambda Invoke API on a random port that records every (function, event).
struct Stub {
    url: String,
    calls: Calls,
}

impl Stub {
    async fn start(respond: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls: Calls = Arc::default();
        let respond: Respond = Arc::new(respond);
        let recorded = calls.clone();
        tokio::spawn(async move {
            loop {
                let (sock, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(sock, recorded.clone(), respond.clone()));
            }
        });
        Self { url, calls }
    }

    fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().unwrap().clone()
    }
}

async fn serve(mut sock: TcpStream, calls: Calls, respond: Respond) {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.unwrap();
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split_whitespace().nth(1).unwrap().to_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let event: Value = serde_json::from_slice(&buf[head_end..head_end + length]).unwrap();
    let function = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|r| r.strip_suffix("/invocations"))
        .unwrap_or_else(|| panic!("unexpected path {path}"))
        .to_owned();
    let reply = respond(&function, &event);
    calls.lock().unwrap().push((function, event));
    let error_header = if reply.function_error {
        "X-Amz-Function-Error: Unhandled\r\n"
    } else {
        ""
    };
    let response = format!(
        "HTTP/1.1 {} Stub\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n{error_header}\r\n{}",
        reply.status,
        reply.body.len(),
        reply.body
    );
    sock.write_all(response.as_bytes()).await.unwrap();
    sock.shutdown().await.ok();
}

// ------------------------------------------------------------------ helpers

struct TestStack {
    sdk: SdkConfig,
    stack: Stack,
    tpl: Template,
    sqs: aws_sdk_sqs::Client,
}

impl TestStack {
    async fn provision(template: &str) -> Self {
        let sdk = moto::sdk_config(&moto::endpoint().unwrap()).await;
        let tpl = Template::parse(template).unwrap();
        let prefix = format!("pump-{}", uuid::Uuid::new_v4().simple());
        let stack = provision(&tpl, &sdk, &prefix, &Default::default())
            .await
            .unwrap();
        Self {
            sqs: aws_sdk_sqs::Client::new(&sdk),
            sdk,
            stack,
            tpl,
        }
    }

    /// A pump serving this stack (and only its own schedule group), without long polling.
    fn pump(&self, stub: &Stub, rate_scale: f64) -> Pump {
        let mut config = PumpConfig::new(
            self.stack.clone(),
            self.tpl.functions().unwrap(),
            stub.url.clone(),
        );
        config.sqs_wait_seconds = 0;
        config.rate_scale = rate_scale;
        config.schedule_group = Some(self.stack.prefix.clone());
        Pump::new(config, &self.sdk).unwrap()
    }

    fn queue_url(&self, logical_id: &str) -> String {
        self.stack.queue(logical_id).unwrap().url.clone()
    }

    async fn send(&self, queue: &str, body: &str) {
        self.sqs
            .send_message()
            .queue_url(self.queue_url(queue))
            .message_body(body)
            .message_attributes(
                "origin",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("test")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// Messages in the queue, visible or in flight.
    async fn depth(&self, queue: &str) -> i64 {
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(self.queue_url(queue))
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        attrs
            .values()
            .map(|v| v.parse::<i64>().unwrap())
            .sum::<i64>()
    }

    /// Bodies received from the queue within `wait_seconds`.
    async fn receive(&self, queue: &str, wait_seconds: i32) -> Vec<String> {
        self.sqs
            .receive_message()
            .queue_url(self.queue_url(queue))
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| m.body.unwrap())
            .collect()
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const BATCH_TEMPLATE: &str = r"
Resources:
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
  WorkerFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: test-bootstrap
    Properties:
      Handler: worker
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
";

const WHOLE_BATCH_TEMPLATE: &str = r"
Resources:
  DeadQueue:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadQueue.Arn
        maxReceiveCount: 1
  WorkerFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: test-bootstrap
    Properties:
      Handler: worker
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !Ref WorkQueue
            BatchSize: 5
";

// ------------------------------------------------------------------ SQS event sources

#[tokio::test]
async fn sqs_batch_has_the_lambda_shape_and_only_reported_failures_stay_queued() {
    // Arrange: the function fails every record whose body starts with "fail".
    let env = TestStack::provision(BATCH_TEMPLATE).await;
    let stub = Stub::start(|_, event| {
        let failures: Vec<Value> = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["body"].as_str().unwrap().starts_with("fail"))
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        Reply::ok(json!({"batchItemFailures": failures}))
    })
    .await;
    for body in ["ok-1", "fail-2", "ok-3"] {
        env.send("WorkQueue", body).await;
    }
    let mut pump = env.pump(&stub, 1.0);

    // Act
    let report = pump.tick(Utc::now()).await;

    // Assert: one invocation with all three records in the Lambda SQS shape.
    assert_eq!(
        report,
        TickReport {
            sqs_invocations: 1,
            messages_deleted: 2,
            messages_left: 1,
            ..TickReport::default()
        }
    );
    let calls = stub.calls();
    assert_eq!(calls.len(), 1);
    let (function, event) = &calls[0];
    assert_eq!(function, "worker");
    let records = event["Records"].as_array().unwrap();
    let mut bodies: Vec<&str> = records
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["fail-2", "ok-1", "ok-3"]);
    let queue = env.stack.queue("WorkQueue").unwrap();
    for r in records {
        assert_eq!(r["eventSource"], "aws:sqs");
        assert_eq!(r["eventSourceARN"], queue.arn.as_str());
        assert_eq!(r["awsRegion"], env.stack.region.as_str());
        assert!(!r["messageId"].as_str().unwrap().is_empty());
        assert!(!r["receiptHandle"].as_str().unwrap().is_empty());
        assert_eq!(r["md5OfBody"].as_str().unwrap().len(), 32);
        assert_eq!(r["attributes"]["ApproximateReceiveCount"], "1");
        assert!(r["attributes"]["SentTimestamp"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok());
        assert_eq!(r["messageAttributes"]["origin"]["stringValue"], "test");
        assert_eq!(r["messageAttributes"]["origin"]["dataType"], "String");
    }

    // Only the reported failure is still there, and it comes back after the visibility timeout.
    assert_eq!(env.depth("WorkQueue").await, 1);
    assert_eq!(env.receive("WorkQueue", 5).await, ["fail-2"]);
}

#[tokio::test]
async fn sqs_success_without_report_batch_item_failures_deletes_the_whole_batch() {
    let env = TestStack::provision(WHOLE_BATCH_TEMPLATE).await;
    // Without ReportBatchItemFailures the response is ignored.
    let stub =
        Stub::start(|_, _| Reply::ok(json!({"batchItemFailures": [{"itemIdentifier": "x"}]})))
            .await;
    env.send("WorkQueue", "a").await;
    env.send("WorkQueue", "b").await;
    let mut pump = env.pump(&stub, 1.0);

    let report = pump.tick(Utc::now()).await;

    assert_eq!(report.sqs_invocations, 1);
    assert_eq!(report.messages_deleted, 2);
    assert_eq!(report.messages_left, 0);
    assert_eq!(report.errors, 0);
    assert_eq!(env.depth("WorkQueue").await, 0);
    assert_eq!(env.depth("DeadQueue").await, 0);
}

#[tokio::test]
async fn sqs_invocation_error_deletes_nothing_and_redrive_moves_the_batch_to_the_dlq() {
    let env = TestStack::provision(WHOLE_BATCH_TEMPLATE).await;
    let stub = Stub::start(|_, _| Reply::unhandled()).await;
    env.send("WorkQueue", "a").await;
    env.send("WorkQueue", "b").await;
    let mut pump = env.pump(&stub, 1.0);

    let report = pump.tick(Utc::now()).await;

    assert_eq!(report.sqs_invocations, 1);
    assert_eq!(report.messages_deleted, 0);
    assert_eq!(report.messages_left, 2);
    assert_eq!(report.errors, 1);
    assert_eq!(env.depth("WorkQueue").await, 2);

    // After the visibility timeout moto's redrive policy (maxReceiveCount 1) takes over.
    let mut dead = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        pump.tick(Utc::now()).await;
        dead = env.depth("DeadQueue").await;
        if dead == 2 {
            break;
        }
    }
    assert_eq!(dead, 2);
    assert_eq!(env.depth("WorkQueue").await, 0);
    assert_eq!(
        stub.calls().len(),
        1,
        "no second delivery past maxReceiveCount"
    );
}

// ------------------------------------------------------------------ one-time schedules

const INBOX_TEMPLATE: &str = r"
Resources:
  InboxQueue:
    Type: AWS::SQS::Queue
";

#[tokio::test]
async fn at_schedules_send_their_input_once_when_due() {
    // Arrange: a schedule group of our own holding a due, a later and a disabled schedule.
    let env = TestStack::provision(INBOX_TEMPLATE).await;
    let stub = Stub::start(|_, _| Reply::ok(Value::Null)).await;
    let scheduler = aws_sdk_scheduler::Client::new(&env.sdk);
    let group = env.stack.prefix.clone();
    scheduler
        .create_schedule_group()
        .name(&group)
        .send()
        .await
        .unwrap();
    let queue_arn = env.stack.queue("InboxQueue").unwrap().arn.clone();
    let create = |name: &str, expression: &str, input: &str| {
        scheduler
            .create_schedule()
            .group_name(&group)
            .name(name)
            .schedule_expression(expression)
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .unwrap(),
            )
            .target(
                Target::builder()
                    .arn(&queue_arn)
                    .role_arn("arn:aws:iam::123456789012:role/scheduler")
                    .input(input)
                    .build()
                    .unwrap(),
            )
    };
    create("due", "at(2030-01-01T00:00:00)", r#"{"kind":"due"}"#)
        .action_after_completion(ActionAfterCompletion::Delete)
        .send()
        .await
        .unwrap();
    create("later", "at(2030-01-01T02:00:00)", r#"{"kind":"later"}"#)
        .schedule_expression_timezone("UTC")
        .action_after_completion(ActionAfterCompletion::None)
        .send()
        .await
        .unwrap();
    create("off", "at(2029-01-01T00:00:00)", r#"{"kind":"off"}"#)
        .state(ScheduleState::Disabled)
        .send()
        .await
        .unwrap();
    let exists = |name: &'static str| {
        let scheduler = scheduler.clone();
        let group = group.clone();
        async move {
            match scheduler
                .get_schedule()
                .group_name(group)
                .name(name)
                .send()
                .await
            {
                Ok(_) => true,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    false
                }
                Err(e) => panic!("GetSchedule: {e:?}"),
            }
        }
    };
    let mut pump = env.pump(&stub, 1.0);

    // Act + Assert: only the due one fires, and it is deleted.
    let report = pump.tick(at("2030-01-01T00:00:30Z")).await;
    assert_eq!(report.schedules_fired, 1);
    assert_eq!(report.errors, 0);
    assert!(!exists("due").await);
    assert!(exists("later").await);
    assert_eq!(env.receive("InboxQueue", 1).await, [r#"{"kind":"due"}"#]);

    // Ticking again before the later one is due fires nothing.
    let report = pump.tick(at("2030-01-01T01:59:59Z")).await;
    assert_eq!(report.schedules_fired, 0);
    assert_eq!(env.depth("InboxQueue").await, 1);

    // The later one fires when the injected time reaches it, once, and is kept (NONE).
    let report = pump.tick(at("2030-01-01T02:00:00Z")).await;
    assert_eq!(report.schedules_fired, 1);
    let report = pump.tick(at("2030-01-01T03:00:00Z")).await;
    assert_eq!(report.schedules_fired, 0);
    assert!(exists("later").await);
    assert!(exists("off").await);
    assert_eq!(env.depth("InboxQueue").await, 2);
    assert_eq!(env.receive("InboxQueue", 1).await, [r#"{"kind":"later"}"#]);
    assert!(stub.calls().is_empty());
}

// ------------------------------------------------------------------ schedule events

const SCHEDULED_TEMPLATE: &str = r#"
Resources:
  TickerFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: test-bootstrap
    Properties:
      Handler: ticker
      Events:
        EveryMinute:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
  NightlyFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: test-bootstrap
    Properties:
      Handler: nightly
      Events:
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            Input: '{"job":"cleanup"}'
"#;

#[tokio::test]
async fn function_schedules_fire_on_the_first_tick_then_once_per_interval() {
    let env = TestStack::provision(SCHEDULED_TEMPLATE).await;
    let stub = Stub::start(|_, _| Reply::ok(Value::Null)).await;
    let mut pump = env.pump(&stub, 1.0);
    let t0 = at("2030-06-01T12:00:00Z");

    let report = pump.tick(t0).await;
    assert_eq!(report.scheduled_invocations, 2);
    assert_eq!(report.errors, 0);
    let calls = stub.calls();
    let ticker = &calls.iter().find(|(f, _)| f == "ticker").unwrap().1;
    assert_eq!(ticker["version"], "0");
    assert_eq!(ticker["detail-type"], "Scheduled Event");
    assert_eq!(ticker["source"], "aws.events");
    assert_eq!(ticker["time"], "2030-06-01T12:00:00Z");
    assert_eq!(ticker["account"], env.stack.account.as_str());
    assert_eq!(ticker["region"], env.stack.region.as_str());
    assert_eq!(ticker["resources"], json!([]));
    assert_eq!(ticker["detail"], json!({}));
    assert!(uuid::Uuid::parse_str(ticker["id"].as_str().unwrap()).is_ok());
    let nightly = &calls.iter().find(|(f, _)| f == "nightly").unwrap().1;
    assert_eq!(
        nightly,
        &json!({"job": "cleanup"}),
        "Input replaces the event"
    );

    // Nothing before a minute of injected time has passed, both again after it.
    let report = pump.tick(t0 + TimeDelta::seconds(59)).await;
    assert_eq!(report.scheduled_invocations, 0);
    let report = pump.tick(t0 + TimeDelta::seconds(60)).await;
    assert_eq!(report.scheduled_invocations, 2);
    assert_eq!(stub.calls().len(), 4);
}

#[tokio::test]
async fn rate_scale_shortens_intervals() {
    let env = TestStack::provision(SCHEDULED_TEMPLATE).await;
    let stub = Stub::start(|_, _| Reply::ok(Value::Null)).await;
    let mut pump = env.pump(&stub, 0.5);
    let t0 = at("2030-06-01T12:00:00Z");

    assert_eq!(pump.tick(t0).await.scheduled_invocations, 2);
    let report = pump.tick(t0 + TimeDelta::seconds(29)).await;
    assert_eq!(report.scheduled_invocations, 0);
    let report = pump.tick(t0 + TimeDelta::seconds(30)).await;
    assert_eq!(report.scheduled_invocations, 2);
}

#[tokio::test]
async fn a_failing_scheduled_invocation_is_counted_and_does_not_stop_the_others() {
    let env = TestStack::provision(SCHEDULED_TEMPLATE).await;
    let stub = Stub::start(|function, _| {
        if function == "ticker" {
            Reply {
                status: 500,
                function_error: false,
                body: "down".to_owned(),
            }
        } else {
            Reply::ok(Value::Null)
        }
    })
    .await;
    let mut pump = env.pump(&stub, 1.0);

    let report = pump.tick(at("2030-06-01T12:00:00Z")).await;

    assert_eq!(report.scheduled_invocations, 2);
    assert_eq!(report.errors, 1);
    assert_eq!(stub.calls().len(), 2);
}
