//! EventBridge Scheduler schedule groups: they hold the one-time schedules the app creates
//! at runtime.

use anyhow::Result;

/// Creates a schedule group unless it exists (moto's CreateScheduleGroup would replace an
/// existing group and drop its schedules).
pub(crate) async fn create_schedule_group(
    scheduler: &aws_sdk_scheduler::Client,
    name: &str,
) -> Result<()> {
    match scheduler.get_schedule_group().name(name).send().await {
        Ok(_) => return Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(err) => return Err(anyhow::Error::new(err).context("GetScheduleGroup")),
    }
    match scheduler.create_schedule_group().name(name).send().await {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conflict_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(anyhow::Error::new(err).context("CreateScheduleGroup")),
    }
}
