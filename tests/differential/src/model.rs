//! What the test intends the groups to be: their rules (as generated, not as read back, so
//! that a rule the extension stores differently shows up as a mismatch), kind and status.

use smart_groups_core::ast::Node;
use smart_groups_core::catalog::{Catalog, Group, GroupKind, GroupStatus};
use smart_groups_core::checked::Pred;
use smart_groups_core::text;
use smart_groups_core::validate::{validate, Options, Severity};

#[derive(Debug, Clone)]
pub struct GroupModel {
    pub id: i64,
    /// The tenant it belongs to (names are unique per tenant only).
    pub tenant: String,
    pub name: String,
    pub kind: GroupKind,
    pub status: GroupStatus,
    /// The rules of a smart group, with their checked form.
    pub rules: Option<(Node, Pred)>,
    /// Created from a hand-written ruleset (`fixed::FIXED`).
    pub fixed: bool,
}

#[derive(Debug, Clone)]
pub struct Model {
    /// The schema's catalog without groups.
    pub base: Catalog,
    /// In creation order, which is id order.
    pub groups: Vec<GroupModel>,
}

/// Names of the groups `node` names in member_of.
pub fn named_groups(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::All(items) | Node::Any(items) => items.iter().for_each(|n| named_groups(n, out)),
        Node::Not(inner) => named_groups(inner, out),
        Node::MemberOf(name) => out.push(name.clone()),
        Node::Has(h) => {
            if let Some(w) = &h.filter {
                named_groups(w, out);
            }
        }
        Node::Cond(_) | Node::Compare(_) => {}
    }
}

impl GroupModel {
    pub fn named(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((node, _)) = &self.rules {
            named_groups(node, &mut out);
        }
        out
    }

    pub fn rules_text(&self) -> String {
        self.rules
            .as_ref()
            .map_or_else(|| "(static)".into(), |(node, _)| text::print(node))
    }
}

impl Model {
    pub fn catalog(&self) -> Catalog {
        let mut c = self.base.clone();
        c.groups = self
            .groups
            .iter()
            .map(|g| Group {
                id: g.id,
                name: g.name.clone(),
                kind: g.kind,
                status: g.status,
                member_of: g.named(),
                tenant: Some(g.tenant.clone()),
            })
            .collect();
        c
    }

    /// The checked ruleset of a group of `tenant`, or every error the validator found. The
    /// rules are checked as the tenant's rules see the catalog (its groups, its and every
    /// tenant's custom fields), but without the tenant's condition: the test applies that
    /// itself (`check::expected`), so that the extension's tenant scoping is tested too.
    pub fn check(&self, node: &Node, group: &str, tenant: &str) -> Result<Pred, String> {
        let opts = Options {
            group: Some(group.to_string()),
            // The tenant's rule is applied by the check itself (`check::expected`), not
            // by the validator, so that a mistake in the extension's scoping shows.
            tenant: None,
        };
        let v = validate(node, &self.catalog().scoped(Some(tenant)), &opts);
        let errors: Vec<String> = v
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| format!("{}: {:?}", p.path, p.error))
            .collect();
        match v.pred {
            Some(pred) if errors.is_empty() => Ok(pred),
            _ => Err(errors.join("; ")),
        }
    }

    /// Groups a rule of the group at `index` may name: earlier ones (so no cycle can form)
    /// that member_of accepts (active smart groups, static groups that are not archived).
    /// The hand-written groups are left out: they target known edge cases, and a discrepancy
    /// there would otherwise reappear in every random group that names them.
    /// Only groups of `tenant`: member_of resolves within the tenant.
    pub fn targets(&self, index: usize, tenant: &str) -> Vec<String> {
        self.groups
            .iter()
            .take(index)
            .filter(|g| !g.fixed && g.tenant == tenant)
            .filter(|g| match g.kind {
                GroupKind::Static => g.status != GroupStatus::Archived,
                GroupKind::Smart => g.status == GroupStatus::Active,
            })
            .map(|g| g.name.clone())
            .collect()
    }

    /// Whether some smart group (in any status) of `tenant` names `name`: the extension then
    /// refuses to deactivate it.
    pub fn is_named(&self, name: &str, tenant: &str) -> bool {
        self.groups
            .iter()
            .filter(|g| g.kind == GroupKind::Smart && g.tenant == tenant)
            .any(|g| g.named().iter().any(|n| n == name))
    }

    /// The group `name` of `tenant`.
    pub fn index_of(&self, name: &str, tenant: &str) -> Option<usize> {
        self.groups
            .iter()
            .position(|g| g.name == name && g.tenant == tenant)
    }
}
