//! Run ids kedrust makes: the start time, as Kedro's save versions, unique in the run store.

use crate::options::{RunOptions, SessionError};
use crate::prepare::{Prepared, prepare};
use crate::project::Project;
use kedrust_catalog::timestamp;
use kedrust_store::RunStore;
use std::time::{Duration, SystemTime};

/// How many later milliseconds to try when other runs took the id: ten seconds of them.
const ATTEMPTS: u32 = 10_000;

/// `prepared` with a run id no other run of the store has. A run id the user gave is kept
/// as it is (recording refuses it if taken); one kedrust made is reserved, and when runs
/// started in the same millisecond took it, the next free millisecond is taken and the run
/// is prepared again with it, so that its save version differs too.
pub(crate) fn unique(
    project: &Project,
    prepared: Prepared,
    store: &RunStore,
) -> Result<Prepared, SessionError> {
    if prepared.options.run_id.is_some() {
        return Ok(prepared);
    }
    let store_error = |e: kedrust_store::StoreError| SessionError::Io(e.to_string());
    if store
        .reserve_run_id(&prepared.run_id)
        .map_err(store_error)?
    {
        return Ok(prepared);
    }
    let start = SystemTime::now();
    for n in 1..=ATTEMPTS {
        let id = timestamp(start + Duration::from_millis(u64::from(n)));
        if store.reserve_run_id(&id).map_err(store_error)? {
            let options = RunOptions {
                run_id: Some(id),
                ..prepared.options.clone()
            };
            let mut again = prepare(project, prepared.project_path.clone(), &options)?;
            again.options.run_id = None;
            return Ok(again);
        }
    }
    Err(SessionError::Io(format!(
        "no free run id in the {ATTEMPTS} milliseconds after {}: other runs took them all; \
         pass --run-id",
        prepared.run_id
    )))
}
