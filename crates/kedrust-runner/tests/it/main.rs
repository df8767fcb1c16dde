//! The executors in one process, without a project or a binary: what they promise about
//! failures and about the datasets their threads share.

mod executors;
mod fan_in;
mod in_memory;
