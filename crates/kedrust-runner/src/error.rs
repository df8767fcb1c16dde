//! What can stop a run, each said with the node, dataset or hook it is about.

use kedrust_catalog::CatalogError;
use kedrust_pipeline::NodeRunError;

/// A hook that failed, and where in the lifecycle.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("hook '{hook}' failed in {point}: {message}")]
pub struct HookError {
    /// The hook's name.
    pub hook: String,
    /// The lifecycle point.
    pub point: crate::HookPoint,
    /// What it said.
    pub message: String,
}

/// Why a run failed.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A node's function failed or its inputs or outputs did not fit.
    #[error(transparent)]
    Node(Box<NodeRunError>),
    /// A dataset could not be loaded or saved.
    #[error("node '{node}': {source}")]
    Dataset {
        /// The node that was loading or saving.
        node: String,
        /// The catalog's error, naming the dataset, its type and path.
        source: Box<CatalogError>,
    },
    /// A hook failed.
    #[error(transparent)]
    Hook(#[from] HookError),
    /// A node failed in its child process (multi-process runner); the child's message.
    #[error("{message}")]
    InChild {
        /// The node.
        node: String,
        /// What the child reported.
        message: String,
    },
    /// A node's worker panicked or died.
    #[error("node '{node}' crashed: {message}")]
    Crashed {
        /// The node.
        node: String,
        /// What is known of the crash.
        message: String,
    },
    /// The orchestrator of the run died (found later by its missing heartbeat).
    #[error("{message}")]
    Orphaned {
        /// The orchestrator's process id.
        pid: u32,
        /// What is known.
        message: String,
    },
    /// The run was cancelled.
    #[error("the run was cancelled")]
    Cancelled,
    /// The run failed outside any node: its start hooks could not be waited for, its end could
    /// not be recorded, or its orchestrator ended it.
    #[error("{message}")]
    Engine {
        /// What went wrong.
        message: String,
    },
}

impl RunError {
    /// The node it names, if it names one (a hook's error names none).
    pub fn node(&self) -> Option<&str> {
        match self {
            Self::Node(e) => Some(match e.as_ref() {
                NodeRunError::Input { node, .. }
                | NodeRunError::Arity { node, .. }
                | NodeRunError::Output { node, .. }
                | NodeRunError::Function { node, .. } => node,
            }),
            Self::Dataset { node, .. }
            | Self::InChild { node, .. }
            | Self::Crashed { node, .. } => Some(node),
            _ => None,
        }
    }
}

impl From<NodeRunError> for RunError {
    fn from(e: NodeRunError) -> Self {
        Self::Node(Box::new(e))
    }
}

kedrust_secrets::debug_as_message!(HookError, RunError);
