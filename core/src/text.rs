//! Text form of a ruleset (SPEC section 4). (in progress)
use crate::ast::Node;

#[derive(Debug, thiserror::Error)]
#[error("syntax error")]
pub struct ParseError;

impl crate::report::Report for ParseError {
    fn sqlstate(&self) -> &'static str {
        "42601"
    }
}

pub fn parse(_input: &str) -> Result<Node, ParseError> {
    Err(ParseError)
}

pub fn print(_node: &Node) -> String {
    String::new()
}
