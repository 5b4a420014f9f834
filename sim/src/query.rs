//! `print` query words (`?name=x`, `?#|!` ...) and `.proplist` selection.
//!
//! Semantics follow MikroTik's API manual: a query is evaluated for each item on a stack of
//! booleans that initially holds an infinite number of `true` values; every query word pushes
//! one value (or, for `?#`, rewrites the stack); the item matches if, at the end, the stack holds
//! no `false`. So several query words without `?#` are ANDed.

use crate::model::Row;

/// One query word, without its leading `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryWord {
    /// `?name`: the item has the property.
    Has(String),
    /// `?-name`: the item lacks the property.
    Lacks(String),
    /// `?name=x` or `?=name=x`: the property equals `x`.
    Eq(String, Vec<u8>),
    /// `?<name=x`: the property is less than `x`.
    Lt(String, Vec<u8>),
    /// `?>name=x`: the property is greater than `x`.
    Gt(String, Vec<u8>),
    /// `?#ops`: stack operations.
    Ops(Vec<u8>),
}

fn split_name_value(rest: &[u8]) -> (String, Vec<u8>) {
    match rest.iter().position(|&b| b == b'=') {
        Some(i) => (
            String::from_utf8_lossy(&rest[..i]).into_owned(),
            rest[i + 1..].to_vec(),
        ),
        None => (String::from_utf8_lossy(rest).into_owned(), Vec::new()),
    }
}

impl QueryWord {
    /// Parses a query word given without its leading `?`.
    pub fn parse(body: &[u8]) -> QueryWord {
        match body.first() {
            Some(b'#') => QueryWord::Ops(body[1..].to_vec()),
            Some(b'-') => {
                let (name, _) = split_name_value(&body[1..]);
                QueryWord::Lacks(name)
            }
            Some(b'=') => {
                let (n, v) = split_name_value(&body[1..]);
                QueryWord::Eq(n, v)
            }
            Some(b'<') => {
                let (n, v) = split_name_value(&body[1..]);
                QueryWord::Lt(n, v)
            }
            Some(b'>') => {
                let (n, v) = split_name_value(&body[1..]);
                QueryWord::Gt(n, v)
            }
            _ => {
                if body.contains(&b'=') {
                    let (n, v) = split_name_value(body);
                    QueryWord::Eq(n, v)
                } else {
                    QueryWord::Has(String::from_utf8_lossy(body).into_owned())
                }
            }
        }
    }
}

/// Parses a number the way a comparison wants it; `None` when the text is not numeric.
fn number(v: &[u8]) -> Option<f64> {
    if v.is_empty()
        || !v
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse::<f64>().ok()
}

fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// Equality as RouterOS compares typed values: booleans match in either spelling
/// (`yes`/`true`, `no`/`false`), everything else byte for byte.
fn equal(have: &[u8], want: &[u8]) -> bool {
    match (
        crate::model::parse_bool(have),
        crate::model::parse_bool(want),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => have == want,
    }
}

/// A stack of booleans with an infinite run of `true` below its bottom.
struct Stack(Vec<bool>);

impl Stack {
    fn pop(&mut self) -> bool {
        self.0.pop().unwrap_or(true)
    }
    fn push(&mut self, v: bool) {
        self.0.push(v);
    }
    fn at(&self, idx: usize) -> bool {
        if idx < self.0.len() {
            self.0[self.0.len() - 1 - idx]
        } else {
            true
        }
    }
}

fn apply_ops(stack: &mut Stack, ops: &[u8]) {
    let mut i = 0;
    let mut after_index = false;
    while i < ops.len() {
        let c = ops[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < ops.len() && ops[i].is_ascii_digit() {
                i += 1;
            }
            let idx = std::str::from_utf8(&ops[start..i])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            let v = stack.at(idx);
            if i == ops.len() {
                stack.0.clear();
                stack.push(v);
            } else {
                stack.push(v);
            }
            after_index = true;
            continue;
        }
        match c {
            b'!' => {
                let v = stack.pop();
                stack.push(!v);
            }
            b'&' => {
                let a = stack.pop();
                let b = stack.pop();
                stack.push(a && b);
            }
            b'|' => {
                let a = stack.pop();
                let b = stack.pop();
                stack.push(a || b);
            }
            b'.' if !after_index => {
                let v = stack.at(0);
                stack.push(v);
            }
            _ => {}
        }
        after_index = false;
        i += 1;
    }
}

/// Evaluates a whole query against one row. An empty query matches everything.
///
/// Assumption: for `?name=x`, an absent property compares as the empty string, so `?comment=`
/// finds items without a comment.
pub fn matches(query: &[QueryWord], row: &Row) -> bool {
    let mut stack = Stack(Vec::new());
    for w in query {
        match w {
            QueryWord::Has(n) => stack.push(row.get(n).is_some()),
            QueryWord::Lacks(n) => stack.push(row.get(n).is_none()),
            QueryWord::Eq(n, v) => stack.push(equal(row.get(n).unwrap_or(b""), v)),
            QueryWord::Lt(n, v) => stack.push(
                row.get(n)
                    .is_some_and(|x| compare(x, v) == std::cmp::Ordering::Less),
            ),
            QueryWord::Gt(n, v) => stack.push(
                row.get(n)
                    .is_some_and(|x| compare(x, v) == std::cmp::Ordering::Greater),
            ),
            QueryWord::Ops(ops) => apply_ops(&mut stack, ops),
        }
    }
    !stack.0.contains(&false)
}

/// Parses the value of `=.proplist=`: a comma-separated list of property names.
pub fn parse_proplist(v: &[u8]) -> Vec<String> {
    v.split(|&b| b == b',')
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// Keeps only the listed properties of `row`, in the order of the list.
pub fn project(row: &Row, proplist: &[String]) -> Row {
    let mut out = Row::default();
    for name in proplist {
        if let Some(v) = row.get(name) {
            out.push(name, v.to_vec());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        let mut r = Row::default();
        for (k, v) in pairs {
            r.push(k, v.as_bytes().to_vec());
        }
        r
    }

    fn q(words: &[&str]) -> Vec<QueryWord> {
        words
            .iter()
            .map(|w| QueryWord::parse(w.strip_prefix('?').unwrap().as_bytes()))
            .collect()
    }

    #[test]
    fn parse_forms() {
        assert_eq!(QueryWord::parse(b"name"), QueryWord::Has("name".into()));
        assert_eq!(QueryWord::parse(b"-name"), QueryWord::Lacks("name".into()));
        assert_eq!(
            QueryWord::parse(b"name=x=y"),
            QueryWord::Eq("name".into(), b"x=y".to_vec())
        );
        assert_eq!(
            QueryWord::parse(b"=name=x"),
            QueryWord::Eq("name".into(), b"x".to_vec())
        );
        assert_eq!(
            QueryWord::parse(b"<mtu=1500"),
            QueryWord::Lt("mtu".into(), b"1500".to_vec())
        );
        assert_eq!(QueryWord::parse(b"#|!"), QueryWord::Ops(b"|!".to_vec()));
    }

    #[test]
    fn and_or_not() {
        let ether = row(&[("type", "ether"), ("mtu", "1500"), ("name", "ether1")]);
        let vlan = row(&[("type", "vlan"), ("mtu", "900"), ("name", "v1")]);
        let bridge = row(&[("type", "bridge"), ("mtu", "10000"), ("name", "b")]);
        let either = q(&["?type=ether", "?type=vlan", "?#|"]);
        assert!(matches(&either, &ether));
        assert!(matches(&either, &vlan));
        assert!(!matches(&either, &bridge));
        let neither = q(&["?type=ether", "?type=vlan", "?#|!"]);
        assert!(!matches(&neither, &ether));
        assert!(matches(&neither, &bridge));
        // Implicit AND.
        assert!(matches(&q(&["?type=ether", "?name=ether1"]), &ether));
        assert!(!matches(&q(&["?type=ether", "?name=ether2"]), &ether));
        // Numeric comparison: 900 < 1500 although "900" > "1500" as text.
        assert!(matches(&q(&["?<mtu=1500"]), &vlan));
        assert!(matches(&q(&["?>mtu=1500"]), &bridge));
        assert!(!matches(&q(&["?>mtu=1500"]), &ether));
        // String comparison when not both numeric.
        assert!(matches(&q(&["?<name=f"]), &ether));
    }

    #[test]
    fn has_lacks_and_empty() {
        let with = row(&[("comment", "x")]);
        let without = row(&[("name", "a")]);
        assert!(matches(&q(&["?comment"]), &with));
        assert!(!matches(&q(&["?comment"]), &without));
        assert!(matches(&q(&["?-comment"]), &without));
        assert!(matches(&q(&["?comment="]), &without));
        assert!(!matches(&q(&["?comment="]), &with));
        let flag = row(&[("disabled", "false")]);
        assert!(matches(&q(&["?disabled=no"]), &flag));
        assert!(matches(&q(&["?disabled=false"]), &flag));
        assert!(!matches(&q(&["?disabled=yes"]), &flag));
    }

    #[test]
    fn stack_indexes() {
        let r = row(&[("a", "1"), ("b", "2")]);
        // a=1 true, b=3 false; "?#1" replaces the stack with index 1 (a's value: true).
        assert!(matches(&q(&["?a=1", "?b=3", "?#1"]), &r));
        // "?#0" keeps only the top (false).
        assert!(!matches(&q(&["?a=1", "?b=3", "?#0"]), &r));
        // "?#0!" pushes a copy of the top and negates it: false, true -> still has a false.
        assert!(!matches(&q(&["?b=3", "?#0!"]), &r));
        // "." duplicates the top; "&" of two copies of true is true.
        assert!(matches(&q(&["?a=1", "?#.&"]), &r));
        // "1." is an index followed by ".", which does nothing more.
        assert!(matches(&q(&["?a=1", "?b=2", "?#1.&&"]), &r));
    }

    #[test]
    fn proplist_order() {
        let r = row(&[(".id", "*1"), ("name", "e"), ("mtu", "1500")]);
        let p = project(&r, &parse_proplist(b"mtu,missing,.id"));
        assert_eq!(p.fields, row(&[("mtu", "1500"), (".id", "*1")]).fields);
    }
}
