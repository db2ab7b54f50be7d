"""Rulesets for the benchmark groups, generated from templates with varied values.

Usage: gen_groups.py DOMAINS_JSON SET COUNT [SEED]  >  groups.sql

DOMAINS_JSON is the value pools of the data set (`bench_domains` as one JSON object), so that
rules name values that exist. SET is `hot` (every ruleset reads users.level, the column that
scenarios S1 and S2 update) or `cold` (no ruleset reads level, directly or through
manager.level). Rulesets mix equality, `in`, `contains`, dates and `within last`, custom
fields, `has` with counts, `member of` (earlier groups of the same run) and nested and/or/not,
with skewed value choices (popular values more often), as a real tenant's groups would.
The output is SQL calling smart_groups.create_group() once per group.
"""

import datetime
import json
import random
import sys

TODAY = datetime.date.today()


def q(s):
    """A text-form string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def qlist(vals):
    return "(" + ", ".join(q(v) for v in vals) + ")"


def sql_literal(s):
    return "'" + s.replace("'", "''") + "'"


class Gen:
    def __init__(self, domains, rng, prefix):
        self.d = domains
        self.rng = rng
        self.prefix = prefix
        self.names = []  # groups made so far, for member_of

    def skewed(self, pool):
        """Popular values (the head of the pool) more often, as in the data."""
        n = len(pool)
        i = min(n - 1, int(n ** self.rng.random()) - 1)
        return pool[max(0, i)]

    def some(self, pool, k):
        return self.rng.sample(pool, k)

    def day(self, back_max, back_min=0):
        return (TODAY - datetime.timedelta(days=self.rng.randint(back_min, back_max))).isoformat()

    # One rule (or a small fixed combination) per template; `cold` excludes users.level.
    def atom(self):
        r, d = self.rng, self.d
        templates = [
            lambda: f"department = {q(self.skewed(d['department']))}",
            lambda: f"department in {qlist(self.some(d['department'][:30], r.randint(2, 4)))}",
            lambda: f"location in {qlist(self.some(d['location'], r.randint(2, 5)))}",
            lambda: f"job_title contains {q(r.choice(['Manager', 'Engineer', 'Sales', 'Analyst', 'Director']))}",
            lambda: f"email ends with {q('@contractor.com')}",
            lambda: f"name contains ignoring case {q(r.choice(d['last_name']).lower())}",
            lambda: f"team = {q(self.skewed(d['team']))}",
            lambda: f"city not in {qlist(self.some(d['city'][:20], 3))}",
            lambda: f"employment_type = {q(r.choice(d['employment_type']))}",
            lambda: f"role in {qlist(self.some(['admin', 'manager', 'creator', 'learner', 'guest'], r.randint(1, 2)))}",
            lambda: f"role = \"manager\"",
            lambda: f"hire_date between {self.day(7000, 3000)} and {self.day(2900)}",
            lambda: f"hire_date within last {r.choice([30, 90, 180, 365, 730])} days",
            lambda: f"birth_date before {self.day(15000, 9000)}",
            lambda: f"created_at after {self.day(3000)}",
            lambda: f"contract_end before {self.day(365, -365)}",
            lambda: f"last_login_at within last {r.choice([7, 14, 30, 60, 90])} days",
            lambda: f"last_login_at not within last {r.choice([30, 90, 180])} days",
            lambda: f"salary > {r.choice([50000, 80000, 120000, 200000])}",
            lambda: f"score between {r.randint(0, 50)} and {r.randint(51, 100)}",
            lambda: f"login_count >= {r.choice([10, 100, 500, 1000])}",
            lambda: f"age < {r.randint(25, 60)}",
            lambda: f"tenure_years >= {r.choice([1, 2, 5, 10, 20])}",
            lambda: f"is_remote = {r.choice(['true', 'false'])}",
            lambda: "email_verified = false",
            lambda: "is_active = true",
            lambda: f"skills includes {q(self.skewed(d['skills']))}",
            lambda: f"skills includes any {qlist(self.some(d['skills'], 3))}",
            lambda: f"tags includes all {qlist(self.some(d['tags'][:5], 2))}",
            lambda: f"languages includes {q(self.skewed(d['languages']))}",
            lambda: f"phone is empty",
            # custom fields
            lambda: f"shirt_size in {qlist(self.some(d['shirt_size'], 2))}",
            lambda: f"start_date within last {r.choice([90, 365, 730])} days",
            lambda: f"security_score >= {r.randint(20, 90)}",
            lambda: f"region = {q(self.skewed(d['region']))}",
            lambda: f"clearance in {qlist(self.some(d['clearance'], 2))}",
            lambda: "certified = true",
            lambda: f"budget between {r.randint(0, 20000)} and {r.randint(20001, 100000)}",
            lambda: f"onboarded_at within last {r.choice([30, 180, 365])} days",
            lambda: f"tier = {q(r.choice(d['tier']))}",
            lambda: f"vendor = {q(self.skewed(d['vendor']))}",
            lambda: f"desk_floor = {r.randint(0, 11)}",
            lambda: f"badge_color != {q(r.choice(d['badge_color']))}",
            lambda: "allergy is not empty",
            lambda: f"training_due before {self.day(0, -200)}",
            lambda: f"nps >= {r.randint(7, 10)}",
            lambda: "remote_ok = true and first_aider = true",
            lambda: "mentor is empty",
            # relations, with counts
            lambda: f"(has enrollments where course = {q(self.skewed(d['course']))} and status = \"completed\")",
            lambda: f"(has no enrollments where course = {q(self.skewed(d['course']))})",
            lambda: f"(has at least {r.randint(2, 5)} clicks where clicked_at within last {r.choice([7, 20, 30])} days)",
            lambda: f"(has clicks where campaign = {q(self.skewed(d['campaign']))} and device = \"mobile\")",
            lambda: f"(has at most {r.randint(1, 3)} enrollments)",
            lambda: f"(has enrollments where status = \"failed\" and enrolled_at within last 365 days)",
            # the manager reference
            lambda: f"manager.department = {q(self.skewed(d['department']))}",
            lambda: f"manager.location in {qlist(self.some(d['location'][:8], 2))}",
        ]
        return r.choice(templates)()

    def hot_atom(self):
        r = self.rng
        n = r.randint(1, 12)
        return r.choice([
            f"level >= {n}",
            f"level = {n}",
            f"level between {min(n, 6)} and {max(n, 7)}",
            f"level < {n}",
            f"level in ({n}, {1 + n % 12}, {1 + (n + 4) % 12})",
        ])

    def member_atom(self):
        name = self.rng.choice(self.names)
        return self.rng.choice([f"member of {q(name)}", f"not (member of {q(name)})"])

    def ruleset(self, hot):
        r = self.rng
        atoms = [self.atom() for _ in range(r.choice([1, 2, 2, 3, 3, 4]))]
        if self.names and r.random() < 0.08:
            atoms.append(self.member_atom())
        if hot:
            atoms.insert(r.randrange(len(atoms) + 1), self.hot_atom())
        shape = r.random()
        if len(atoms) >= 3 and shape < 0.25:
            # A and (B or C ...)
            return f"{atoms[0]} and ({' or '.join(atoms[1:])})"
        if len(atoms) >= 2 and shape < 0.40:
            return f"{' and '.join(atoms[:-1])} and not ({atoms[-1]})"
        if len(atoms) >= 4 and shape < 0.55:
            return f"({atoms[0]} or {atoms[1]}) and ({' or '.join(atoms[2:])})"
        if shape < 0.62:
            return " or ".join(atoms)
        return " and ".join(atoms)

    def group(self, i, hot):
        name = f"{self.prefix}-{i:04d}"
        rules = self.ruleset(hot)
        self.names.append(name)
        return name, rules


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        domains = json.load(f)
    kind, count = argv[2], int(argv[3])
    seed = int(argv[4]) if len(argv) > 4 else 42
    if kind not in ("hot", "cold"):
        sys.exit("SET must be hot or cold")
    gen = Gen(domains, random.Random(f"{kind}-{seed}"), kind)
    # member_of may name the hot groups from the cold set, so dependants exist across sets.
    if kind == "cold":
        gen.names = [f"hot-{i:04d}" for i in range(1, 101)]
    out = ["\\set ON_ERROR_STOP 1"]
    for i in range(1, count + 1):
        name, rules = gen.group(i, kind == "hot")
        out.append(f"SELECT smart_groups.create_group({sql_literal(name)}, {sql_literal(rules)}) IS NOT NULL AS created;")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv)
