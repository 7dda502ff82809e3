//! Per-test messenger dependencies on top of `lookout_tests::support`: the functions' `Deps`
//! over this test's table and queues (their settings resolved from template.yaml exactly as
//! the deployed functions get them), a messenger emulator of its own, a manual clock for the
//! send route, and a stand-in for the SQS event source mapping.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use lambda_runtime::{Context, LambdaEvent};
use lookout_core::config::names as env;
use lookout_core::{
    time::Timestamp,
    time::{system_clock, ManualClock},
};
use lookout_dev::{emulator::Emulator, moto, template::Resolve};
use lookout_messenger::{
    alert_contacts, BroadcastStore, Dispatcher, Messenger, MessengerConfig, Reserved, RetryPolicy,
    ScheduleTarget, ADMIN_ALERT_CONTACTS,
};
use serde_json::{json, Value};
use std::sync::Arc;

use lookout_tests::support::{http_request, read, spawn_app, template, TestApp};

/// Attempts per delivery in these tests (the template's default is 5; the e2e test uses it).
pub const MAX_ATTEMPTS: u32 = 3;

pub struct Msg {
    pub app: TestApp,
    pub sqs: aws_sdk_sqs::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub emulator: Emulator,
    /// The send route's clock (starts at the real now).
    pub clock: ManualClock,
    /// The contact functions' dependencies, by function (each signs as its own role).
    pub crud: BTreeMap<&'static str, lookout_messenger::Deps>,
    /// create-contacts, with the admin's chats its environment reserves.
    pub create: create_contacts::Deps,
    pub send: send_messages::Deps,
    pub deliver: deliver_messages::Deps,
    /// The SendMessagesFunction's environment, resolved from template.yaml.
    pub send_env: BTreeMap<String, String>,
    pub queue_url: String,
    pub dlq_url: String,
    pub group: String,
}

/// The environment template.yaml gives the function built from `binary`.
pub fn function_env(app: &TestApp, binary: &str) -> BTreeMap<String, String> {
    let f = template()
        .functions()
        .unwrap()
        .into_iter()
        .find(|f| f.binary == binary)
        .unwrap_or_else(|| panic!("no function {binary} in template.yaml"));
    app.stack.function_env(&f).unwrap()
}

/// The admin's chats as the function built from `binary` reserves them: read from its own
/// environment in template.yaml, so a function missing one of `Reserved::ENV` reserves less.
pub fn reserved_of(app: &TestApp, binary: &str) -> Reserved {
    let env = function_env(app, binary);
    Reserved::new(
        alert_contacts(env.get(ADMIN_ALERT_CONTACTS).map(String::as_str))
            .unwrap()
            .as_ref(),
        env.get(env::TELEGRAM_ADMIN_CHAT_ID).map(String::as_str),
    )
    .unwrap()
}

pub async fn spawn() -> Msg {
    let app = spawn_app().await;
    // The provisioning user's clients for tests' own reads; handlers sign as their roles.
    let sdk = moto::sdk_config(&moto::endpoint().unwrap()).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let scheduler = aws_sdk_scheduler::Client::new(&sdk);
    let send_sdk = app.sdk_for("send-messages").await;
    let deliver_sdk = app.sdk_for("deliver-messages").await;
    let emulator = Emulator::start("127.0.0.1:0").unwrap();
    let send_env = function_env(&app, "send-messages");
    let deliver_env = function_env(&app, "deliver-messages");
    let store_of = |ddb| {
        BroadcastStore::new(
            ddb,
            send_env[env::MESSENGER_TABLE].clone(),
            send_env[env::MESSENGER_RETENTION_DAYS].parse().unwrap(),
        )
    };
    let store = store_of(app.ddb.clone());
    assert_eq!(store.table(), deliver_env[env::MESSENGER_TABLE]);
    let target = ScheduleTarget {
        group: send_env[env::MESSENGER_SCHEDULE_GROUP].clone(),
        role_arn: send_env[env::MESSENGER_SCHEDULER_ROLE_ARN].clone(),
        queue_arn: send_env[env::MESSENGER_QUEUE_ARN].clone(),
        dead_letter_arn: Some(send_env[env::MESSENGER_DLQ_ARN].clone()),
    };
    let queue_url = send_env[env::MESSENGER_QUEUE_URL].clone();
    assert_eq!(queue_url, deliver_env[env::MESSENGER_QUEUE_URL]);
    let clock = ManualClock::new(Timestamp::now());
    let mut crud = BTreeMap::new();
    for b in lookout_tests::support::CONTACT_FUNCTIONS {
        crud.insert(
            b,
            lookout_messenger::Deps {
                keys: app.keys_for(b).await,
                store: store_of(app.ddb_for(b).await),
            },
        );
    }
    let send_dispatch = Arc::new(Dispatcher::new(
        aws_sdk_sqs::Client::new(&send_sdk),
        &queue_url,
        Some((aws_sdk_scheduler::Client::new(&send_sdk), target.clone())),
    ));
    let send = send_messages::Deps {
        keys: app.keys_for("send-messages").await,
        store: store_of(aws_sdk_dynamodb::Client::new(&send_sdk)),
        queue: send_dispatch.clone(),
        scheduler: send_dispatch,
        clock: clock.shared(),
        quotas: lookout_core::quota::Quotas::default(),
        reserved: reserved_of(&app, "send-messages"),
    };
    let create = create_contacts::Deps {
        keys: crud["create-contacts"].keys.clone(),
        store: crud["create-contacts"].store.clone(),
        reserved: reserved_of(&app, "create-contacts"),
    };
    let mut config = MessengerConfig::emulated(emulator.url());
    config.timeout = Duration::from_secs(5);
    let deliver = deliver_messages::Deps {
        store: store_of(aws_sdk_dynamodb::Client::new(&deliver_sdk)),
        queue: Arc::new(Dispatcher::new(
            aws_sdk_sqs::Client::new(&deliver_sdk),
            &queue_url,
            None,
        )),
        messenger: Arc::new(Messenger::new(config).unwrap()),
        policy: RetryPolicy {
            max_attempts: MAX_ATTEMPTS,
            base: Duration::ZERO,
            ..RetryPolicy::default()
        },
        alert_to: alert_contacts(deliver_env.get(ADMIN_ALERT_CONTACTS).map(String::as_str))
            .unwrap(),
        reserved: reserved_of(&app, "deliver-messages"),
        clock: system_clock(),
    };
    let dlq_url = app
        .stack
        .queue("MessengerDeadLetterQueue")
        .unwrap()
        .url
        .clone();
    Msg {
        group: target.group,
        app,
        sqs,
        scheduler,
        emulator,
        clock,
        crud,
        create,
        send,
        deliver,
        send_env,
        queue_url,
        dlq_url,
    }
}

pub fn key_header(key: &str) -> [(&'static str, &str); 1] {
    [("x-api-key", key)]
}

/// A contact in the seed's POST shape.
pub fn contact(name: &str, telegram: &str, whatsapp: &str, viber: &str) -> Value {
    json!({"name": name, "messangers": {"telegram": telegram, "whatsApp": whatsapp, "viber": viber}})
}

/// `[Y, M, D, h, m, s]` of a timestamp.
pub fn parts(t: Timestamp) -> Value {
    json!(lookout_messenger::time_parts(t))
}

impl Msg {
    pub fn key(&self) -> &str {
        &self.app.api_key
    }

    pub fn table(&self) -> &str {
        self.send.store.table()
    }

    // ------------------------------------------------------------ the routes

    pub async fn create(&self, key: &str, body: &Value) -> (u16, Value) {
        self.create_raw(key, &body.to_string()).await
    }

    pub async fn create_raw(&self, key: &str, body: &str) -> (u16, Value) {
        let req = http_request("POST", "/api/contacts", &[], &key_header(key), body);
        read(create_contacts::handle(&self.create, req).await)
    }

    pub async fn delete(&self, key: &str, body: &Value) -> (u16, Value) {
        let req = http_request(
            "DELETE",
            "/api/contacts",
            &[],
            &key_header(key),
            &body.to_string(),
        );
        read(delete_contacts::handle(&self.crud["delete-contacts"], req).await)
    }

    /// GET with a JSON body (as the seed's client) and/or a query string.
    pub async fn list(&self, key: &str, query: &[(&str, &str)], body: &str) -> (u16, Value) {
        let req = http_request("GET", "/api/contacts", query, &key_header(key), body);
        read(list_contacts::handle(&self.crud["list-contacts"], req).await)
    }

    pub async fn send(&self, key: &str, body: &Value) -> (u16, Value) {
        self.send_raw(key, &body.to_string()).await
    }

    pub async fn send_raw(&self, key: &str, body: &str) -> (u16, Value) {
        let req = http_request("PUT", "/api/contacts", &[], &key_header(key), body);
        read(send_messages::handle(&self.send, req).await)
    }

    pub async fn failed(&self, key: &str, query: &[(&str, &str)], body: &str) -> (u16, Value) {
        let req = http_request("GET", "/api/get_failed_mess", query, &key_header(key), body);
        read(list_failed_messages::handle(&self.crud["list-failed-messages"], req).await)
    }

    /// Creates `contacts` for `user` with the test's key; asserts success.
    pub async fn given_contacts(&self, user: &str, contacts: &[Value]) {
        let (status, body) = self
            .create(
                self.key(),
                &json!({"user_name": user, "contacts": contacts}),
            )
            .await;
        assert_eq!((status, body), (200, json!({"success": true})));
    }

    /// Sends `message` now to `names`; returns the send id.
    pub async fn send_now(&self, user: &str, names: &[&str], message: &str) -> String {
        let (status, body) = self
            .send(
                self.key(),
                &json!({"user_name": user, "contact": names, "message": message}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scheduled"], false);
        body["sendId"].as_str().unwrap().to_owned()
    }

    // ------------------------------------------------------------ stored state

    pub async fn items(&self) -> Vec<HashMap<String, AttributeValue>> {
        self.app.items(self.table()).await
    }

    /// Every delivery item of a send, by delivery id.
    pub async fn deliveries(&self, send_id: &str) -> Vec<HashMap<String, AttributeValue>> {
        let pk = format!("SEND#{send_id}");
        let mut out: Vec<_> = self
            .items()
            .await
            .into_iter()
            .filter(|i| s(i, "pk") == pk && s(i, "sk").starts_with("D#"))
            .collect();
        out.sort_by_key(|i| s(i, "sk"));
        out
    }

    /// The delivery of a send to `messenger` (the stored name: telegram, whatsApp, viber).
    pub async fn delivery_of(
        &self,
        send_id: &str,
        messenger: &str,
    ) -> HashMap<String, AttributeValue> {
        self.deliveries(send_id)
            .await
            .into_iter()
            .find(|d| s(d, "messenger") == messenger)
            .unwrap_or_else(|| panic!("no {messenger} delivery"))
    }

    // ------------------------------------------------------------ the queue

    /// Messages in the queue, visible or in flight.
    pub async fn depth(&self, url: &str) -> i64 {
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let n = |a: QueueAttributeName| -> i64 { attrs.get(&a).map_or(0, |v| v.parse().unwrap()) };
        n(QueueAttributeName::ApproximateNumberOfMessages)
            + n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
    }

    /// Messages in the queue whose timer (`DelaySeconds`) has not run out.
    pub async fn delayed(&self, url: &str) -> i64 {
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        attrs
            .get(&QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .map_or(0, |v| v.parse().unwrap())
    }

    /// Up to 10 visible messages of the messenger queue, received as the event source mapping
    /// does (with their system attributes).
    pub async fn receive(&self) -> Vec<Message> {
        self.receive_from(&self.queue_url).await
    }

    pub async fn receive_from(&self, url: &str) -> Vec<Message> {
        self.sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    /// The Lambda SQS event for received messages.
    pub fn event(&self, messages: &[Message]) -> LambdaEvent<SqsEvent> {
        let arn = &self.send_env[env::MESSENGER_QUEUE_ARN];
        let mut event = SqsEvent::default();
        event.records = messages
            .iter()
            .map(|m| {
                let mut r = SqsMessage::default();
                r.message_id.clone_from(&m.message_id);
                r.receipt_handle.clone_from(&m.receipt_handle);
                r.body.clone_from(&m.body);
                r.attributes = m
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect();
                r.event_source = Some("aws:sqs".to_owned());
                r.event_source_arn = Some(arn.clone());
                r
            })
            .collect();
        LambdaEvent::new(event, Context::default())
    }

    /// Invokes the consumer with `messages`.
    pub async fn consume(&self, messages: &[Message]) -> SqsBatchResponse {
        deliver_messages::handle(&self.deliver, self.event(messages))
            .await
            .expect("the consumer answers with a batch response")
    }

    /// Deletes what the event source mapping deletes: the messages not reported as failed.
    pub async fn ack(&self, messages: &[Message], response: &SqsBatchResponse) {
        for m in messages {
            let id = m.message_id().unwrap();
            if response
                .batch_item_failures
                .iter()
                .any(|f| f.item_identifier == id)
            {
                continue;
            }
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }

    /// One round of the event source mapping: receive, invoke, delete. `None` when nothing
    /// was visible.
    pub async fn round(&self) -> Option<(Vec<Message>, SqsBatchResponse)> {
        let messages = self.receive().await;
        if messages.is_empty() {
            return None;
        }
        let response = self.consume(&messages).await;
        self.ack(&messages, &response).await;
        Some((messages, response))
    }

    /// Rounds until no message is visible; returns how many rounds ran.
    pub async fn drain(&self) -> usize {
        let mut rounds = 0;
        while self.round().await.is_some() {
            rounds += 1;
            assert!(rounds < 100, "the queue does not drain");
        }
        rounds
    }
}

/// A string attribute of an item ("" when absent).
pub fn s(item: &HashMap<String, AttributeValue>, k: &str) -> String {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

/// A number attribute of an item.
pub fn num(item: &HashMap<String, AttributeValue>, k: &str) -> i64 {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .map_or(-1, |n| n.parse().unwrap())
}

/// The `Resolve` trait is what turns template intrinsics into names; re-exported for tests
/// that check an ARN the template derives.
pub fn resolve_arn(app: &TestApp, id: &str) -> String {
    app.stack.attribute(id, "Arn").unwrap()
}
