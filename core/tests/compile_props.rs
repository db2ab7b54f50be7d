//! Property: whatever the predicate and whatever the names and values in it, the compiled SQL
//! is lexically sound (balanced parentheses and quotes, no comment, statement separator or
//! dollar quote outside literals) and every user-supplied string sits inside a literal or a
//! quoted identifier.

mod compile_support;

use chrono::{DateTime, NaiveDate, Utc};
use compile_support::{catalog, table};
use proptest::prelude::*;
use smart_groups_core::ast::{CmpOp, Count, Number, Op};
use smart_groups_core::catalog::*;
use smart_groups_core::checked::{FieldPath, Moment, Operand, Pred, Test, TimeUnit};
use smart_groups_core::compile::compile;

/// Planted in every value: it would close a literal and start a statement if unquoted.
const VALUE_MARK: &str = "'); DROP";
/// Planted in every identifier.
const IDENT_MARK: &str = "\"; DROP";

fn value() -> impl Strategy<Value = String> {
    let noise = "[a-zA-Z0-9 '\"\\\\%_!$;()\\-\u{0}é日🎉\n]{0,6}";
    (noise, noise).prop_map(|(a, b)| format!("{a}{VALUE_MARK}{b}"))
}

fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z \"_]{0,5}".prop_map(|a| format!("{a}{IDENT_MARK}"))
}

fn number() -> impl Strategy<Value = Number> {
    (any::<i32>(), 0u32..1000, any::<bool>()).prop_map(|(i, f, frac)| {
        let s = if frac {
            format!("{i}.{f}")
        } else {
            i.to_string()
        };
        Number::parse(&s).unwrap_or_else(|| panic!("{s}"))
    })
}

fn moment() -> impl Strategy<Value = Moment> {
    prop_oneof![
        (-1000i32..12000, 1u32..366)
            .prop_map(|(y, d)| Moment::Day(NaiveDate::from_yo_opt(y, d).unwrap_or(NaiveDate::MIN))),
        (any::<i32>(), 0u32..2_000_000_000).prop_map(|(s, n)| Moment::Instant(
            DateTime::<Utc>::from_timestamp(i64::from(s) * 97, n).unwrap_or_default()
        )),
    ]
}

fn kind() -> impl Strategy<Value = ColumnKind> {
    prop_oneof![
        Just(ColumnKind::Text),
        Just(ColumnKind::Citext),
        Just(ColumnKind::Number),
        Just(ColumnKind::Date),
        Just(ColumnKind::Timestamp),
        Just(ColumnKind::Timestamptz),
        Just(ColumnKind::Boolean),
        Just(ColumnKind::Enum(table("public", "e"))),
        Just(ColumnKind::TextArray),
    ]
}

fn leaf_path() -> impl Strategy<Value = FieldPath> {
    let column = (ident(), kind()).prop_map(|(name, kind)| {
        FieldPath::Column(Column {
            name,
            ty: FieldType::Text,
            kind,
            allowed: None,
        })
    });
    let ty = proptest::sample::select(FieldType::ALL.to_vec());
    let custom = (value(), ty).prop_map(|(key, ty)| {
        FieldPath::Custom(CustomField {
            key,
            ty,
            allowed: None,
            tenant: None,
        })
    });
    prop_oneof![column, custom]
}

fn path() -> impl Strategy<Value = FieldPath> {
    (
        leaf_path(),
        proptest::collection::vec((ident(), ident()), 0..3),
    )
        .prop_map(|(leaf, hops)| {
            hops.into_iter()
                .fold(leaf, |inner, (name, column)| FieldPath::Reference {
                    reference: Reference { name, column },
                    inner: Box::new(inner),
                })
        })
}

/// Operands of every shape, so that each operator family meets its own operand kind often.
fn operand() -> impl Strategy<Value = Operand> {
    let texts = proptest::collection::vec(value(), 0..3);
    let unit = proptest::sample::select(TimeUnit::ALL.to_vec());
    prop_oneof![
        Just(Operand::None),
        value().prop_map(Operand::Text),
        texts.prop_map(Operand::TextList),
        number().prop_map(Operand::Number),
        proptest::collection::vec(number(), 0..3).prop_map(Operand::NumberList),
        (number(), number()).prop_map(|(a, b)| Operand::NumberRange(a, b)),
        any::<bool>().prop_map(Operand::Bool),
        moment().prop_map(Operand::Time),
        (moment(), moment()).prop_map(|(a, b)| Operand::TimeRange(a, b)),
        (1u32..u32::MAX, unit).prop_map(|(n, unit)| Operand::Interval { n, unit }),
    ]
}

fn test() -> impl Strategy<Value = Pred> {
    let op = proptest::sample::select(Op::ALL.to_vec());
    (path(), op, operand(), value()).prop_map(|(field, op, operand, path)| {
        Pred::Test(Test {
            path,
            field,
            op,
            operand,
        })
    })
}

fn relation() -> impl Strategy<Value = Relation> {
    (ident(), ident(), ident(), ident()).prop_map(|(name, schema, t, user_column)| Relation {
        lookups: Vec::new(),
        name,
        table: TableName { schema, name: t },
        user_column,
        columns: vec![],
    })
}

fn pred() -> impl Strategy<Value = Pred> {
    let member =
        (any::<i64>(), value()).prop_map(|(group_id, name)| Pred::MemberOf { group_id, name });
    let leaf = prop_oneof![4 => test(), 1 => member];
    leaf.prop_recursive(5, 40, 4, |inner| {
        let cmp = proptest::sample::select(CmpOp::ALL.to_vec());
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Pred::All),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Pred::Any),
            inner.clone().prop_map(|p| Pred::Not(Box::new(p))),
            (relation(), proptest::option::of(inner), cmp, 0u64..5).prop_map(
                |(relation, filter, op, value)| Pred::Has {
                    relation,
                    filter: filter.map(Box::new),
                    count: Count { op, value },
                }
            ),
        ]
    })
}

fn hostile_catalog() -> impl Strategy<Value = Catalog> {
    (
        ident(),
        ident(),
        ident(),
        ident(),
        ident(),
        ident(),
        ident(),
    )
        .prop_map(|(schema, name, key, cschema, cname, ucol, vcol)| {
            let mut cat = catalog();
            cat.users.table = TableName { schema, name };
            cat.users.key_column = key;
            cat.custom_table = Some(CustomFieldTable {
                table: TableName {
                    schema: cschema,
                    name: cname,
                },
                user_column: ucol.clone(),
                key_column: ucol,
                value_column: vcol,
            });
            cat
        })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Span {
    Literal,
    Ident,
}

/// Splits SQL into quoted spans (start, end exclusive) or says why it is not sound.
fn lex(sql: &str) -> Result<Vec<(Span, usize, usize)>, String> {
    let b = sql.as_bytes();
    let (mut spans, mut depth, mut i) = (Vec::new(), 0i64, 0usize);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                let escapes = q == b'\'' && i > 0 && b[i - 1] == b'E';
                let start = i;
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(format!("unterminated quote at {start}")),
                        Some(b'\\') if escapes => i += 2,
                        Some(b'\\') if q == b'\'' => {
                            return Err("backslash in a plain literal".into())
                        }
                        Some(&c) if c == q && b.get(i + 1) == Some(&q) => i += 2,
                        Some(&c) if c == q => break,
                        Some(_) => i += 1,
                    }
                }
                let span = if q == b'"' {
                    Span::Ident
                } else {
                    Span::Literal
                };
                spans.push((span, start, i + 1));
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced close at {i}"));
                }
            }
            b';' | b'$' => return Err(format!("{} outside quotes at {i}", b[i] as char)),
            b'-' if b.get(i + 1) == Some(&b'-') => return Err(format!("comment at {i}")),
            b'/' if b.get(i + 1) == Some(&b'*') => return Err(format!("comment at {i}")),
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err(format!("{depth} unclosed parentheses"));
    }
    Ok(spans)
}

/// Every occurrence of `mark` lies strictly inside a span of kind `want`.
fn marks_inside(
    sql: &str,
    spans: &[(Span, usize, usize)],
    mark: &str,
    want: Span,
) -> Result<(), String> {
    for (at, _) in sql.match_indices(mark) {
        let inside = spans
            .iter()
            .any(|&(k, s, e)| k == want && s < at && at + mark.len() < e);
        if !inside {
            return Err(format!("{mark:?} at {at} outside a {want:?}"));
        }
    }
    Ok(())
}

fn check(sql: &str) -> Result<(), String> {
    let spans = lex(sql)?;
    marks_inside(sql, &spans, VALUE_MARK, Span::Literal)?;
    marks_inside(sql, &spans, IDENT_MARK, Span::Ident)
}

#[test]
fn the_checker_catches_unsafe_sql() {
    assert!(check("(a = 'x''); DROP')").is_ok());
    assert!(check("a = 'x'); DROP'").is_err());
    assert!(check("(a = 1").is_err());
    assert!(check("a = 'x").is_err());
    assert!(check("a = 1 -- x").is_err());
    assert!(check(r"a = 'x\'").is_err());
    assert!(check(r"a = E'x\\''); DROP'").is_ok());
    assert!(check(r"a = E'x\''); DROP'").is_err());
    assert!(check("\"a\"\"; DROP\" = 1").is_ok());
    assert!(check("'\"; DROP' = 1").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn compiled_sql_keeps_user_strings_quoted(p in pred(), cat in hostile_catalog()) {
        let sql = compile(&p, &cat);
        prop_assert!(check(&sql).is_ok(), "{:?}\n{}", check(&sql), sql);
    }
}
