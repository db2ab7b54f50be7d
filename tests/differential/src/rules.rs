//! Random rulesets over the catalog: every operator of every field type, on columns, custom
//! fields, `manager.x` references and relation columns, fields compared with fields, with
//! `has` (where / count),
//! `member_of` and nested all / any / not. Candidates are checked with the core validator by
//! the caller; the generator only aims at valid ones.

use std::collections::BTreeSet;

use smart_groups_core::ast::{CmpOp, Comparison, Condition, Count, Has, Node, Number, Op, Value};
use smart_groups_core::catalog::{Catalog, FieldType};
use smart_groups_core::validate::{applicable_ops, comparison_ops_between};

use crate::pools::{Pools, INTERVALS};
use crate::rng::Rng;
use crate::schema::TENANTS;

/// Numbers rules compare with: the stored pools' values, their neighbours, and long decimals.
const RULE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.5",
    "1.50",
    "2.5",
    "17",
    "18",
    "42",
    "65",
    "100",
    "1000",
    "1e3",
    "0.1",
    "0.001",
    "-7.25",
    "3.14",
    "99.999",
    "2147483647",
    "-2147483648",
    "1e20",
    "-0.5",
    "12345678901234567890",
];

/// A field a rule at user level may name, with its type and enum labels.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    ty: FieldType,
    allowed: Option<Vec<String>>,
    /// The only tenant whose rules may name it (a tenant's custom field); None: every tenant.
    tenant: Option<String>,
}

pub struct RuleGen<'a> {
    pools: &'a Pools,
    user_fields: Vec<Field>,
    /// (relation, its columns)
    relations: Vec<(String, Vec<Field>)>,
    /// (type, operator) pairs not generated yet: leaves prefer them until all are covered.
    pending: Vec<(FieldType, Op)>,
    numbers: Vec<Number>,
    /// The tenant of the group whose ruleset is being generated.
    tenant: String,
    pub covered: BTreeSet<(&'static str, &'static str, &'static str)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Scope<'s> {
    User,
    Relation(&'s str),
}

impl<'a> RuleGen<'a> {
    pub fn new(catalog: &Catalog, pools: &'a Pools) -> RuleGen<'a> {
        let mut user_fields = Vec::new();
        for prefix in std::iter::once(String::new())
            .chain(catalog.references.iter().map(|r| format!("{}.", r.name)))
        {
            for c in &catalog.columns {
                let (name, ty, allowed) = (format!("{prefix}{}", c.name), c.ty, c.allowed.clone());
                let tenant = None;
                user_fields.push(Field {
                    name,
                    ty,
                    allowed,
                    tenant,
                });
            }
            for f in &catalog.custom_fields {
                let (name, ty, allowed) = (format!("{prefix}{}", f.key), f.ty, f.allowed.clone());
                let tenant = f.tenant.clone();
                user_fields.push(Field {
                    name,
                    ty,
                    allowed,
                    tenant,
                });
            }
            for l in &catalog.lookups {
                for c in &l.columns {
                    let name = format!("{prefix}{}.{}", l.name, c.name);
                    let (ty, allowed) = (c.ty, c.allowed.clone());
                    user_fields.push(Field {
                        name,
                        ty,
                        allowed,
                        tenant: None,
                    });
                }
            }
        }
        let relations = catalog
            .relations
            .iter()
            .map(|r| {
                let columns = r.columns.iter().map(|c| Field {
                    name: c.name.clone(),
                    ty: c.ty,
                    allowed: c.allowed.clone(),
                    tenant: None,
                });
                let lookups = r.lookups.iter().flat_map(|l| {
                    l.columns.iter().map(move |c| Field {
                        name: format!("{}.{}", l.name, c.name),
                        ty: c.ty,
                        allowed: c.allowed.clone(),
                        tenant: None,
                    })
                });
                (r.name.clone(), columns.chain(lookups).collect())
            })
            .collect();
        let pending = FieldType::ALL
            .iter()
            .flat_map(|ty| applicable_ops(*ty).iter().map(move |op| (*ty, *op)))
            .collect();
        RuleGen {
            pools,
            user_fields,
            relations,
            pending,
            numbers: RULE_NUMBERS
                .iter()
                .filter_map(|n| Number::parse(n))
                .collect(),
            tenant: String::new(),
            covered: BTreeSet::new(),
        }
    }

    /// A ruleset of a group of `tenant` that may name the groups in `targets` with member_of.
    pub fn ruleset(&mut self, rng: &mut Rng, targets: &[String], tenant: &str) -> Node {
        self.tenant = tenant.to_string();
        let depth = 1 + rng.below(3);
        self.node(rng, Scope::User, depth, targets)
    }

    fn node(&mut self, rng: &mut Rng, scope: Scope, depth: usize, targets: &[String]) -> Node {
        if depth == 0 || rng.chance(40) {
            return self.leaf(rng, scope, depth, targets);
        }
        match rng.below(10) {
            0..=3 => Node::All(self.items(rng, scope, depth, targets)),
            4..=7 => Node::Any(self.items(rng, scope, depth, targets)),
            _ => Node::Not(Box::new(self.node(rng, scope, depth - 1, targets))),
        }
    }

    fn items(
        &mut self,
        rng: &mut Rng,
        scope: Scope,
        depth: usize,
        targets: &[String],
    ) -> Vec<Node> {
        // Empty groups are legal (all: true, any: false) and worth a few cases.
        let n = if rng.chance(4) { 0 } else { 1 + rng.below(4) };
        (0..n)
            .map(|_| self.node(rng, scope, depth - 1, targets))
            .collect()
    }

    fn leaf(&mut self, rng: &mut Rng, scope: Scope, depth: usize, targets: &[String]) -> Node {
        if scope == Scope::User {
            if !targets.is_empty() && rng.chance(10) {
                let name = rng.pick(targets).cloned().unwrap_or_default();
                return Node::MemberOf(name);
            }
            if rng.chance(14) {
                return self.has(rng, depth, targets);
            }
        }
        if rng.chance(12) {
            if let Some(c) = self.comparison(rng, scope) {
                return Node::Compare(c);
            }
        }
        Node::Cond(self.condition(rng, scope))
    }

    /// A field compared with another of a comparable type (text with enum, date with
    /// timestamp, a user's field with their manager's), by an operator both allow.
    fn comparison(&mut self, rng: &mut Rng, scope: Scope) -> Option<Comparison> {
        let fields = self.fields(scope);
        let left = fields.get(rng.below(fields.len().max(1)))?.clone();
        let partners: Vec<&Field> = fields
            .iter()
            .filter(|f| !comparison_ops_between(left.ty, f.ty).is_empty())
            .collect();
        let right = (*rng.pick(&partners)?).clone();
        let ops = comparison_ops_between(left.ty, right.ty);
        let op = *rng.pick(&ops)?;
        let source = match scope {
            Scope::Relation(_) => "relation, two fields",
            Scope::User => "two fields",
        };
        self.covered.insert((left.ty.name(), op.name(), source));
        Some(Comparison {
            field: left.name,
            op,
            value_field: right.name,
        })
    }

    fn has(&mut self, rng: &mut Rng, depth: usize, targets: &[String]) -> Node {
        let Some(relation) = rng.pick(&self.relations).map(|r| r.0.clone()) else {
            return Node::All(Vec::new());
        };
        let filter = rng.chance(70).then(|| {
            let inner_depth = depth.saturating_sub(1).min(2);
            let scope = Scope::Relation(&relation);
            Box::new(self.node(rng, scope, inner_depth, targets))
        });
        let count = rng.chance(50).then(|| Count {
            op: *rng.pick(&CmpOp::ALL).unwrap_or(&CmpOp::Gte),
            value: rng.below(4) as u64,
        });
        Node::Has(Has {
            relation,
            filter,
            count,
        })
    }

    /// The fields a rule of the current tenant may name in `scope`.
    fn fields(&self, scope: Scope) -> Vec<Field> {
        let all = match scope {
            Scope::User => &self.user_fields[..],
            Scope::Relation(name) => self
                .relations
                .iter()
                .find(|r| r.0 == name)
                .map_or(&[][..], |r| r.1.as_slice()),
        };
        all.iter()
            .filter(|f| f.tenant.as_ref().is_none_or(|t| *t == self.tenant))
            .cloned()
            .collect()
    }

    fn condition(&mut self, rng: &mut Rng, scope: Scope) -> Condition {
        // Half the leaves work through the (type, operator) pairs not generated yet, so a
        // default run is sure to cover them all; the rest are drawn freely.
        let wanted = (rng.chance(50) && !self.pending.is_empty())
            .then(|| self.pending[rng.below(self.pending.len())]);
        let fields = self.fields(scope);
        let candidates: Vec<&Field> = match wanted {
            Some((ty, _)) => fields.iter().filter(|f| f.ty == ty).collect(),
            None => fields.iter().collect(),
        };
        let field = match rng.pick(&candidates) {
            Some(f) => (*f).clone(),
            None => fields
                .get(rng.below(fields.len()))
                .cloned()
                .unwrap_or(Field {
                    name: "name".into(),
                    ty: FieldType::Text,
                    allowed: None,
                    tenant: None,
                }),
        };
        let op = match wanted {
            Some((ty, op)) if ty == field.ty => op,
            _ => {
                let ops = applicable_ops(field.ty);
                ops[rng.below(ops.len())]
            }
        };
        self.pending.retain(|p| *p != (field.ty, op));
        let source = match (scope, field.name.split('.').count()) {
            (Scope::Relation(_), 1) => "relation",
            (Scope::Relation(_), _) => "relation lookup",
            (_, 1) => "user",
            _ if field.name.starts_with("manager.") => "reference",
            _ => "lookup",
        };
        self.covered.insert((field.ty.name(), op.name(), source));
        let value = self.value(rng, &field, op);
        Condition {
            field: field.name,
            op,
            value,
        }
    }

    fn value(&self, rng: &mut Rng, field: &Field, op: Op) -> Option<Value> {
        if !op.takes_value() {
            return None;
        }
        let list = |rng: &mut Rng, one: &mut dyn FnMut(&mut Rng) -> Value| {
            let n = 1 + rng.below(3);
            Value::List((0..n).map(|_| one(rng)).collect())
        };
        let number = |rng: &mut Rng| self.numbers.get(rng.below(self.numbers.len())).cloned();
        Some(match field.ty {
            // The tenant column (or the manager's): mostly tenant names, so that rules naming
            // another tenant's users are common.
            FieldType::Text
                if (field.name == "org" || field.name.ends_with(".org")) && rng.chance(70) =>
            {
                let tenant = |r: &mut Rng| {
                    Value::String(r.pick(&TENANTS).copied().unwrap_or("t1").to_string())
                };
                match op {
                    Op::In | Op::NotIn => list(rng, &mut |r| tenant(r)),
                    _ => tenant(rng),
                }
            }
            FieldType::Text => match op {
                Op::In | Op::NotIn => list(rng, &mut |r| Value::String(self.pools.rule_text(r))),
                _ => Value::String(self.pools.rule_text(rng)),
            },
            FieldType::Number => match op {
                Op::Between => {
                    let (a, b) = (number(rng)?, number(rng)?);
                    let (lo, hi) = if a.to_f64() <= b.to_f64() {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    Value::List(vec![Value::Number(lo), Value::Number(hi)])
                }
                Op::In | Op::NotIn => {
                    let n = 1 + rng.below(3);
                    Value::List(
                        (0..n)
                            .filter_map(|_| number(rng).map(Value::Number))
                            .collect(),
                    )
                }
                _ => Value::Number(number(rng)?),
            },
            FieldType::Date | FieldType::Timestamp => {
                let stamp = field.ty == FieldType::Timestamp;
                match op {
                    Op::WithinLast | Op::NotWithinLast => {
                        Value::String(rng.pick(INTERVALS).copied().unwrap_or("1 day").into())
                    }
                    Op::Between => {
                        let (a, b) = (self.moment(rng, stamp), self.moment(rng, stamp));
                        let (lo, hi) = if a.1 <= b.1 { (a, b) } else { (b, a) };
                        Value::List(vec![Value::String(lo.0), Value::String(hi.0)])
                    }
                    _ => Value::String(self.moment(rng, stamp).0),
                }
            }
            FieldType::Boolean => Value::Bool(rng.chance(50)),
            FieldType::Enum => {
                let labels = field.allowed.clone().unwrap_or_default();
                let mut label =
                    |r: &mut Rng| Value::String(r.pick(&labels).cloned().unwrap_or_default());
                match op {
                    Op::In | Op::NotIn => list(rng, &mut label),
                    _ => label(rng),
                }
            }
            FieldType::List => match op {
                Op::IncludesAny | Op::IncludesAll => {
                    list(rng, &mut |r| Value::String(self.pools.rule_text(r)))
                }
                _ => Value::String(self.pools.rule_text(rng)),
            },
        })
    }

    /// A date (ISO or US spelling) or, for timestamp fields, sometimes an RFC 3339 instant;
    /// with the instant it stands for, to order `between` bounds.
    fn moment(&self, rng: &mut Rng, stamp: bool) -> (String, chrono::DateTime<chrono::Utc>) {
        if stamp && rng.chance(40) {
            let t = self.pools.instant(rng);
            let text = if rng.chance(50) {
                t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
            } else {
                (t.naive_utc() - chrono::Duration::hours(5))
                    .format("%Y-%m-%dT%H:%M:%S%.f-05:00")
                    .to_string()
            };
            return (text, t);
        }
        let day = self.pools.day(rng);
        let text = if rng.chance(30) {
            day.format("%m/%d/%Y").to_string()
        } else {
            day.format("%Y-%m-%d").to_string()
        };
        (text, day.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    /// (type, operator) pairs never generated so far.
    pub fn uncovered(&self) -> Vec<String> {
        let mut out: Vec<String> = FieldType::ALL
            .iter()
            .flat_map(|ty| applicable_ops(*ty).iter().map(move |op| (*ty, *op)))
            .filter(|(ty, op)| {
                !self
                    .covered
                    .iter()
                    .any(|c| c.0 == ty.name() && c.1 == op.name())
            })
            .map(|(ty, op)| format!("{}/{}", ty.name(), op.name()))
            .collect();
        out.sort();
        out
    }
}
