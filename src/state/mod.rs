//! The state on disk: `store` keeps it (one lock, staged writes), `consistency` checks
//! what is read back, so a hand-edited file is reported and never acted on.

pub mod consistency;
mod lock;
pub mod store;

pub use lock::open_root_only;
