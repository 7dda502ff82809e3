//! Messenger scenarios: contacts, sends, failed messages and deliveries (against the
//! emulated messengers of [`super::stack_params`]).

use anyhow::{anyhow, Context, Result};
use lookout_messenger::{ContactName, CreateContacts, Job, UserName};
use serde_json::{json, Value};

use super::call::{Call, Expect, Request};
use super::fixture::{Fixture, Http};
use super::{now, unique};

/// The messenger user whose contacts the fixture holds.
pub(super) const MSG_USER: &str = "ann";

/// The call for a messenger function, `None` for any other.
pub(super) async fn call(fx: &Fixture, http: &Http<'_>, binary: &str) -> Result<Option<Call>> {
    let call = match binary {
        "create-contacts" => http.call(fx.key(), vec![], Some(contact_body("carol")), 200),
        "delete-contacts" => {
            let name = unique("tmp");
            fx.put_contact(&name).await?;
            http.call(
                fx.key(),
                vec![],
                Some(json!({"user_name": MSG_USER, "contact": name})),
                200,
            )
        }
        "list-contacts" => http.call(fx.key(), vec![("user_name", MSG_USER)], None, 200),
        "send-messages" => http.call(
            fx.key(),
            vec![],
            Some(
                json!({"user_name": MSG_USER, "contacts": ["bob"], "message": "hello from the benchmark"}),
            ),
            200,
        ),
        "list-failed-messages" => http.call(
            fx.key(),
            vec![("user_name", MSG_USER), ("limit", "100")],
            None,
            200,
        ),
        "deliver-messages" => Ok(Call {
            request: Request::Sqs {
                queue_arn: fx.queue_arn.clone(),
                bodies: vec![fx.new_delivery().await?],
            },
            expect: Expect::NoBatchFailures,
        }),
        _ => return Ok(None),
    };
    call.map(Some)
}

impl Fixture {
    /// Creates [`MSG_USER`]'s contact `name` with a Telegram address.
    pub(super) async fn put_contact(&self, name: &str) -> Result<()> {
        let input = CreateContacts::from_json(contact_body(name).to_string().as_bytes())
            .map_err(|e| anyhow!("{e}"))?;
        self.broadcast
            .put_contacts(&self.tenant, &input.user_name, &input.contacts, None, now())
            .await
            .context("creating a contact")
    }

    /// A fresh pending delivery (to bob's Telegram address).
    async fn new_delivery(&self) -> Result<String> {
        let user = UserName::parse(MSG_USER).map_err(|e| anyhow!(e))?;
        let bob = ContactName::parse("bob").map_err(|e| anyhow!(e))?;
        let (contacts, _) = self
            .broadcast
            .get_contacts(&self.tenant, &user, std::slice::from_ref(&bob))
            .await
            .context("reading bob")?;
        let addresses = contacts
            .get("bob")
            .cloned()
            .ok_or_else(|| anyhow!("the fixture contact is missing"))?;
        let t = now();
        let (_, _, deliveries) = self
            .broadcast
            .create_send(&self.tenant, &user, &[(bob, addresses)], "bench", t, t)
            .await
            .context("creating a send")?;
        let delivery = deliveries
            .first()
            .ok_or_else(|| anyhow!("a send without deliveries"))?;
        Ok(Job::Deliver {
            delivery_id: delivery.id().map_err(|e| anyhow!("{e}"))?,
        }
        .to_json())
    }
}

fn contact_body(name: &str) -> Value {
    json!({"user_name": MSG_USER, "contact": {"name": name,
        "messangers": {"telegram": "12345", "whatsApp": "", "viber": ""}}})
}
