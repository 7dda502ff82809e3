//! The contact use cases (`POST`, `DELETE` and `GET /api/contacts`): a user's contacts and
//! default zone, within the caller's tenant.

use lookout_core::auth::Tenant;
use lookout_core::time::Timestamp;

use crate::error::BroadcastError;
use crate::input::{CreateContacts, DeleteContacts, UserName};
use crate::replies::{ContactList, ContactsDeleted, ContactsSaved, SeedAddresses};
use crate::reserved::Reserved;
use crate::store::contacts::Contacts;

/// Creates or replaces the contacts of `input` and sets the user's default zone when it names
/// one. A contact with one of the admin's addresses ([`Reserved`]) refuses them all, and new
/// contacts past the tenant's quota refuse them all: nothing is stored then.
pub async fn save_contacts(
    store: &dyn Contacts,
    reserved: &Reserved,
    tenant: &Tenant,
    input: &CreateContacts,
    now: Timestamp,
) -> Result<ContactsSaved, BroadcastError> {
    reserved.check(&input.contacts)?;
    store
        .put(
            tenant,
            &input.user_name,
            &input.contacts,
            input.time_zone,
            now,
        )
        .await?;
    tracing::info!(
        tenant = tenant.as_str(),
        contacts = input.contacts.len(),
        time_zone = input.time_zone.map(|z| z.name()),
        "contacts saved"
    );
    Ok(ContactsSaved {
        success: true,
        time_zone: input.time_zone,
    })
}

/// Deletes the named contacts that exist; as in the seed, a name that is not a contact is no
/// error, only listed in `not_found`.
pub async fn delete_contacts(
    store: &dyn Contacts,
    tenant: &Tenant,
    input: &DeleteContacts,
) -> Result<ContactsDeleted, BroadcastError> {
    let missing = store.delete(tenant, &input.user_name, &input.names).await?;
    Ok(ContactsDeleted {
        success: true,
        not_found: missing,
    })
}

/// The user's contacts by name, every messenger shown (`""` when unset, as in the seed), and
/// the user's default zone when set.
pub async fn list_contacts(
    store: &dyn Contacts,
    tenant: &Tenant,
    user: &UserName,
) -> Result<ContactList, BroadcastError> {
    let (contacts, settings) = store.list(tenant, user).await?;
    Ok(ContactList {
        contacts: contacts
            .iter()
            .map(|(name, a)| (name.clone(), SeedAddresses::from(a)))
            .collect(),
        time_zone: settings.time_zone,
    })
}
