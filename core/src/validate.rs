//! Validation against a catalog. (in progress)
use crate::ast::Node;
use crate::catalog::Catalog;
use crate::checked::Pred;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The group whose rules these are, if any: `member_of` must not lead back to it.
    pub group: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ValidationError {
    #[error("not implemented")]
    Todo,
}

impl crate::report::Report for ValidationError {
    fn sqlstate(&self) -> &'static str {
        "0A000"
    }
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub path: String,
    pub error: ValidationError,
}

pub fn validate(_node: &Node, _catalog: &Catalog, _opts: &Options) -> Result<Pred, Vec<Problem>> {
    Err(vec![Problem {
        path: String::new(),
        error: ValidationError::Todo,
    }])
}
