//! Reading a ruleset given as JSON or text. (in progress)
