//! The deepest nesting the parser follows must fit comfortably in a small stack (a stack
//! overflow aborts this whole test binary, which fails it).

use smart_groups_core::text::{parse, ParseError};

const STACK: usize = 1024 * 1024;

fn in_small_stack(f: impl FnOnce() + Send + 'static) {
    let worker = std::thread::Builder::new().stack_size(STACK).spawn(f);
    assert!(worker.map(|w| w.join().is_ok()).unwrap_or(false));
}

#[test]
fn deepest_accepted_nesting_fits_in_one_mebibyte() {
    in_small_stack(|| {
        let parens = "(".repeat(64) + "a = 1" + &")".repeat(64);
        assert!(parse(&parens).is_ok());
        let wheres = "(has r where ".repeat(16) + "a in (1)" + &")".repeat(16);
        assert!(parse(&wheres).is_ok());
        let list = "(".repeat(63) + "a in (1)" + &")".repeat(63);
        assert!(parse(&list).is_ok());
    });
}

#[test]
fn just_past_the_guard_is_too_deep() {
    in_small_stack(|| {
        let parens = "(".repeat(65) + "a = 1" + &")".repeat(65);
        assert_eq!(parse(&parens), Err(ParseError::TooDeep));
        // A list is one level below its rule.
        let list = "(".repeat(64) + "a in (1)" + &")".repeat(64);
        assert_eq!(parse(&list), Err(ParseError::TooDeep));
    });
}
