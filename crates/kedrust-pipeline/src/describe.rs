//! The text block `pipeline describe` prints, in Kedro's layout.

use crate::pipeline::Pipeline;
use std::collections::BTreeSet;

impl Pipeline {
    /// Inputs, nodes in execution order, outputs; with `names_only` false each node is
    /// printed as `name: function([inputs]) -> [outputs]`.
    pub fn describe(&self, names_only: bool) -> String {
        let set = |s: BTreeSet<String>| {
            if s.is_empty() {
                "None".to_owned()
            } else {
                s.into_iter().collect::<Vec<_>>().join(", ")
            }
        };
        let mut out = String::from("#### Pipeline execution order ####\n");
        out.push_str(&format!("Inputs: {}\n\n", set(self.inputs())));
        for n in self.nodes() {
            if names_only {
                out.push_str(n.node_name());
            } else {
                out.push_str(&n.to_string());
            }
            out.push('\n');
        }
        out.push_str(&format!("\nOutputs: {}\n", set(self.outputs())));
        out.push_str("##################################");
        out
    }
}
