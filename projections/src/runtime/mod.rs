//! The projector runtime, independent of any read model.
//!
//! - [`projection`]: the [`Projection`] trait and naming of versioned collections;
//! - [`docs`]: the working set of a batch, with its replay guards;
//! - [`projector`]: applying the log to one version (checkpoint, batches, skips);
//! - [`worker`]: the long-running loop (lease, wake-ups, parking, version switches);
//! - [`positions`]: where each projection stands, for read-your-writes and lag;
//! - [`versions`]: which version of each projection readers use.

pub mod docs;
pub mod positions;
pub mod projection;
pub mod projector;
pub mod versions;
pub mod worker;

pub use docs::{ApplyError, Docs, Key};
pub use positions::Positions;
pub use projection::{Projection, collection_name, decode, key, specs, specs_at, stream_id};
pub use projector::{Options, Projector, ProjectorError};
pub use versions::Versions;
