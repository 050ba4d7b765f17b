#!/usr/bin/env python3
"""Turns statements PostgreSQL logged (log_statement = all) into a pgbench script.

Used by tests/load/compare.sh: the server answers one request with statement logging on, and
the slice of the server log that request produced is read from stdin. Every statement the
server sent (extended protocol: `execute <name>: SQL` and its `DETAIL:  parameters: $1 = ...`;
simple protocol: `statement: SQL`) is written out, its parameters put in as literals, one
statement per line, so `pgbench -M prepared -f` replays exactly what the server asked for.

    statements_to_pgbench.py DATABASE < log-slice > script.sql

Only records of DATABASE are kept. Prints the number of statements on stderr.
"""

import re
import sys

RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\] (?P<rest>.*)$")
EXECUTE = re.compile(r"^(?:LOG):  (?:execute [^:]+|statement): (?P<sql>.*)$", re.S)
DETAIL = re.compile(r"^DETAIL:  parameters: (?P<params>.*)$", re.S)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.S)


def records(lines, database):
    """Log records of `database`, continuation lines joined, without their prefix."""
    current = None
    for line in lines:
        match = RECORD.match(line.rstrip("\n"))
        if match:
            if current is not None:
                yield current
            rest = match.group("rest")
            who = f"@{database} "
            current = rest.split(who, 1)[1] if who in rest else None
        elif current is not None:
            current += "\n" + line.rstrip("\n").lstrip("\t")
    if current is not None:
        yield current


def literal(value):
    """A logged parameter as SQL. pgbench reads `:name` as one of its variables, even inside
    quotes, so a literal with a colon is written as a Unicode escape string (`U&'...'`)."""
    if ":" not in value:
        return value
    return "U&" + value.replace("\\", "\\005C").replace(":", "\\003A")


def with_literals(sql, params):
    values = {int(n): literal(v) for n, v in PARAM.findall(params)}
    # Highest numbers first, so $1 does not eat the start of $12.
    for n in sorted(values, reverse=True):
        sql = re.sub(rf"\${n}(?!\d)", lambda _m, v=values[n]: v, sql)
    return sql


def main():
    database = sys.argv[1]
    statements = []
    for record in records(sys.stdin, database):
        execute = EXECUTE.match(record)
        if execute:
            statements.append(execute.group("sql"))
            continue
        detail = DETAIL.match(record)
        if detail and statements:
            statements[-1] = with_literals(statements[-1], detail.group("params"))
    for sql in statements:
        # pgbench ends a command at a semicolon at the end of a line.
        print(sql.rstrip().rstrip(";") + ";")
    print(len(statements), file=sys.stderr)


if __name__ == "__main__":
    main()
