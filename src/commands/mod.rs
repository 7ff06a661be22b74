//! One module per verb. Each validates the whole request, plans kernel steps, and hands both
//! the plan and the new state to a transaction.

pub mod cni;
pub mod connect;
pub mod dns;
pub mod doctor;
pub mod explain;
pub mod gc;
pub mod graph;
pub mod impair;
pub mod lab;
pub mod mesh;
pub mod network;
pub mod overlay;
pub mod publish;
pub mod restore;
pub mod run;
pub mod sandbox;
pub mod service;
mod table;
mod tx;
pub mod why;

pub use table::print_table;
pub use tx::{Tx, sandbox_alive};

use std::io::Write;

use crate::cli::{Format, Global};
use crate::sys::Kernel;

/// What every command gets: the global options, the kernel and where output goes.
pub struct Ctx<'a> {
    pub global: &'a Global,
    pub kernel: &'a mut dyn Kernel,
    pub out: &'a mut dyn Write,
}

impl Ctx<'_> {
    pub fn format(&self) -> Format {
        self.global.format
    }
}
