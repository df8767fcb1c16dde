//! The points of a run's lifecycle where hooks fire, Kedro's hook names.

/// Where in the lifecycle a hook fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookPoint {
    /// The project's context exists (start op).
    AfterContextCreated,
    /// The catalog exists (start op).
    AfterCatalogCreated,
    /// Before the first node (start op).
    BeforePipelineRun,
    /// After every node succeeded (end op).
    AfterPipelineRun,
    /// The run failed (once per run).
    OnPipelineError,
    /// Before a node's function.
    BeforeNodeRun,
    /// After a node's function.
    AfterNodeRun,
    /// A node's function failed.
    OnNodeError,
    /// Before a dataset is loaded for a node.
    BeforeDatasetLoaded,
    /// After a dataset was loaded for a node.
    AfterDatasetLoaded,
    /// Before a node's output is saved.
    BeforeDatasetSaved,
    /// After a node's output was saved.
    AfterDatasetSaved,
    /// A process has run its nodes of a run (kedrust's: hooks send what they held back).
    Flush,
}

impl HookPoint {
    /// Kedro's name of the hook.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AfterContextCreated => "after_context_created",
            Self::AfterCatalogCreated => "after_catalog_created",
            Self::BeforePipelineRun => "before_pipeline_run",
            Self::AfterPipelineRun => "after_pipeline_run",
            Self::OnPipelineError => "on_pipeline_error",
            Self::BeforeNodeRun => "before_node_run",
            Self::AfterNodeRun => "after_node_run",
            Self::OnNodeError => "on_node_error",
            Self::BeforeDatasetLoaded => "before_dataset_loaded",
            Self::AfterDatasetLoaded => "after_dataset_loaded",
            Self::BeforeDatasetSaved => "before_dataset_saved",
            Self::AfterDatasetSaved => "after_dataset_saved",
            Self::Flush => "flush",
        }
    }

    /// Whether it fires once per run (recorded as a hook event in the run store), rather
    /// than per node or dataset.
    pub fn is_pipeline_level(self) -> bool {
        matches!(
            self,
            Self::AfterContextCreated
                | Self::AfterCatalogCreated
                | Self::BeforePipelineRun
                | Self::AfterPipelineRun
                | Self::OnPipelineError
        )
    }
}

impl std::fmt::Display for HookPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
