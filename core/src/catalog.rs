//! What a ruleset may name: the fields of the attached users table, custom fields, references
//! (self-referencing foreign keys), relations and groups. The database layer builds a
//! `Catalog` from the real tables; tests build one by hand.

/// A schema-qualified table name, exactly as in the catalog (never quoted here).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

/// The type of the users key; functions that return users return this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Integer,
    Bigint,
    Uuid,
    Text,
}

impl KeyType {
    pub fn sql(self) -> &'static str {
        match self {
            KeyType::Integer => "integer",
            KeyType::Bigint => "bigint",
            KeyType::Uuid => "uuid",
            KeyType::Text => "text",
        }
    }
}

/// Rule-level field types (docs/reference/rules.md, "Fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Number,
    Date,
    Timestamp,
    Boolean,
    Enum,
    List,
}

impl FieldType {
    pub const ALL: [FieldType; 7] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::Timestamp,
        FieldType::Boolean,
        FieldType::Enum,
        FieldType::List,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Timestamp => "timestamp",
            FieldType::Boolean => "boolean",
            FieldType::Enum => "enum",
            FieldType::List => "list",
        }
    }

    pub fn from_name(name: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// How a column's values must be handled in SQL beyond its rule-level type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// text or varchar: compare as is.
    Text,
    /// citext: cast to text, so that `eq` stays exact.
    Citext,
    /// Any numeric type.
    Number,
    Date,
    /// timestamp without time zone; its values are taken to be UTC.
    Timestamp,
    Timestamptz,
    Boolean,
    /// A Postgres enum type (schema, name); compared through its text labels.
    Enum(TableName),
    /// text[]
    TextArray,
}

/// A column of the users table or of a relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: FieldType,
    pub kind: ColumnKind,
    /// Enum labels, in the type's order.
    pub allowed: Option<Vec<String>>,
}

/// A custom field (docs/reference/rules.md, "Fields"): a key in the EAV table, read as `ty`.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
    pub key: String,
    pub ty: FieldType,
    pub allowed: Option<Vec<String>>,
    /// The tenant it is defined for; None: every tenant (docs/reference/tenants.md).
    pub tenant: Option<String>,
}

/// A self-referencing foreign key of the users table (`manager_id → users.id`), named after
/// the column without `_id` (`manager`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub column: String,
}

/// A foreign key from the users table or a relation to another table, a lookup table
/// (`department_id → departments(id)`), named after the column without `_id`
/// (`department`): the lookup table's columns are fields through it (`department.name`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub name: String,
    /// The foreign key column of the users table or relation.
    pub column: String,
    pub table: TableName,
    /// The lookup table's column the foreign key references.
    pub key_column: String,
    pub columns: Vec<Column>,
}

impl Lookup {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersTable {
    pub table: TableName,
    pub key_column: String,
    pub key_type: KeyType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldTable {
    pub table: TableName,
    pub user_column: String,
    pub key_column: String,
    pub value_column: String,
}

/// A related table: any table with a column holding the users key.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub name: String,
    pub table: TableName,
    pub user_column: String,
    pub columns: Vec<Column>,
    /// Foreign keys of the relation's table to lookup tables (`course.title`).
    pub lookups: Vec<Lookup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    Smart,
    Static,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStatus {
    Active,
    Inactive,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub kind: GroupKind,
    pub status: GroupStatus,
    /// Names of the groups its rules name in `member_of` (for cycle detection).
    pub member_of: Vec<String>,
    /// The tenant it belongs to; None when the users table has no tenant column.
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub users: UsersTable,
    pub columns: Vec<Column>,
    pub custom_table: Option<CustomFieldTable>,
    pub custom_fields: Vec<CustomField>,
    pub references: Vec<Reference>,
    /// Foreign keys of the users table to lookup tables (`department.name`).
    pub lookups: Vec<Lookup>,
    pub relations: Vec<Relation>,
    pub groups: Vec<Group>,
    /// The users table's tenant column, if it has one (docs/reference/tenants.md).
    pub tenant_column: Option<String>,
}

/// Where a user-level field's value lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UserField<'a> {
    Column(&'a Column),
    Custom(&'a CustomField),
}

impl<'a> UserField<'a> {
    pub fn ty(self) -> FieldType {
        match self {
            UserField::Column(c) => c.ty,
            UserField::Custom(f) => f.ty,
        }
    }

    pub fn allowed(self) -> Option<&'a [String]> {
        match self {
            UserField::Column(c) => c.allowed.as_deref(),
            UserField::Custom(f) => f.allowed.as_deref(),
        }
    }
}

impl Catalog {
    /// What the rules of a group of `tenant` may name: the groups of that tenant, and the
    /// custom fields defined for it or for every tenant. Without a tenant column every group
    /// and field has no tenant, and this is the whole catalog.
    pub fn scoped(&self, tenant: Option<&str>) -> Catalog {
        let mut scoped = self.clone();
        scoped.keep_tenant(tenant);
        scoped
    }

    /// `scoped`, in place.
    pub fn keep_tenant(&mut self, tenant: Option<&str>) {
        self.custom_fields
            .retain(|f| f.tenant.is_none() || f.tenant.as_deref() == tenant);
        self.groups.retain(|g| g.tenant.as_deref() == tenant);
    }

    /// A user-level field by exact name: a column or a custom field (names are unique).
    pub fn user_field(&self, name: &str) -> Option<UserField<'_>> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(UserField::Column)
            .or_else(|| {
                self.custom_fields
                    .iter()
                    .find(|f| f.key == name)
                    .map(UserField::Custom)
            })
    }

    pub fn reference(&self, name: &str) -> Option<&Reference> {
        self.references.iter().find(|r| r.name == name)
    }

    pub fn lookup(&self, name: &str) -> Option<&Lookup> {
        self.lookups.iter().find(|l| l.name == name)
    }

    pub fn relation(&self, name: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.name == name)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Every name a rule at user level may use, for did-you-mean suggestions.
    pub fn user_field_names(&self) -> impl Iterator<Item = &str> {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.custom_fields.iter().map(|f| f.key.as_str()))
    }
}

impl Relation {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn lookup(&self, name: &str) -> Option<&Lookup> {
        self.lookups.iter().find(|l| l.name == name)
    }
}
