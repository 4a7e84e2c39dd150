//! A small regular-expression engine for `grep`: POSIX basic and extended syntax (literals, `.`,
//! bracket classes, `^`, `$`, `*`, `+`, `?`, `|`, groups), matched by NFA simulation so every
//! match is linear in the input: no pattern can make it hang.

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Split(usize, usize),
    Jmp(usize),
    Start,
    End,
    Match,
}

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Group(Box<Node>),
    Alt(Vec<Node>),
    Seq(Vec<Node>),
    Star(Box<Node>),
    Plus(Box<Node>),
    Quest(Box<Node>),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    code: Vec<Inst>,
    ignore_case: bool,
}

/// Longest pattern accepted.
const MAX_PATTERN: usize = 1024;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    extended: bool,
    depth: usize,
}

impl Parser {
    fn alt(&mut self) -> Option<Node> {
        self.depth += 1;
        if self.depth > 50 {
            return None;
        }
        let mut branches = vec![self.seq()?];
        while self.at_alt() {
            self.pos += if self.extended { 1 } else { 2 };
            branches.push(self.seq()?);
        }
        self.depth -= 1;
        Some(if branches.len() == 1 {
            branches.remove(0)
        } else {
            Node::Alt(branches)
        })
    }

    fn at_alt(&self) -> bool {
        if self.extended {
            self.chars.get(self.pos) == Some(&'|')
        } else {
            self.chars.get(self.pos) == Some(&'\\') && self.chars.get(self.pos + 1) == Some(&'|')
        }
    }

    fn at_group_end(&self) -> bool {
        if self.extended {
            self.chars.get(self.pos) == Some(&')')
        } else {
            self.chars.get(self.pos) == Some(&'\\') && self.chars.get(self.pos + 1) == Some(&')')
        }
    }

    fn seq(&mut self) -> Option<Node> {
        let mut items = Vec::new();
        while self.pos < self.chars.len() && !self.at_alt() && !self.at_group_end() {
            let atom = self.atom(items.is_empty())?;
            let atom = self.quantifiers(atom);
            items.push(atom);
        }
        Some(Node::Seq(items))
    }

    fn quantifiers(&mut self, mut atom: Node) -> Node {
        loop {
            let c = self.chars.get(self.pos).copied();
            let next = self.chars.get(self.pos + 1).copied();
            atom = match (c, self.extended) {
                (Some('*'), _) => {
                    self.pos += 1;
                    Node::Star(Box::new(atom))
                }
                (Some('+'), true) => {
                    self.pos += 1;
                    Node::Plus(Box::new(atom))
                }
                (Some('?'), true) => {
                    self.pos += 1;
                    Node::Quest(Box::new(atom))
                }
                (Some('\\'), false) if next == Some('+') => {
                    self.pos += 2;
                    Node::Plus(Box::new(atom))
                }
                (Some('\\'), false) if next == Some('?') => {
                    self.pos += 2;
                    Node::Quest(Box::new(atom))
                }
                _ => return atom,
            };
        }
    }

    fn atom(&mut self, first: bool) -> Option<Node> {
        let c = self.chars[self.pos];
        self.pos += 1;
        Some(match c {
            '.' => Node::Any,
            '^' if first || self.extended => Node::Start,
            '$' if self.pos == self.chars.len()
                || self.extended
                || self.at_alt()
                || self.at_group_end() =>
            {
                Node::End
            }
            '[' => self.class()?,
            '(' if self.extended => {
                let inner = self.alt()?;
                if self.chars.get(self.pos) != Some(&')') {
                    return None;
                }
                self.pos += 1;
                Node::Group(Box::new(inner))
            }
            '*' if first => Node::Char('*'),
            '\\' => {
                let next = *self.chars.get(self.pos)?;
                self.pos += 1;
                match next {
                    '(' if !self.extended => {
                        let inner = self.alt()?;
                        if !(self.chars.get(self.pos) == Some(&'\\')
                            && self.chars.get(self.pos + 1) == Some(&')'))
                        {
                            return None;
                        }
                        self.pos += 2;
                        Node::Group(Box::new(inner))
                    }
                    'd' => Node::Class(vec![('0', '9')], false),
                    's' => Node::Class(
                        vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')],
                        false,
                    ),
                    'w' => Node::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
                    other => Node::Char(other),
                }
            }
            other => Node::Char(other),
        })
    }

    fn class(&mut self) -> Option<Node> {
        let mut negated = false;
        if self.chars.get(self.pos) == Some(&'^') {
            negated = true;
            self.pos += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = *self.chars.get(self.pos)?;
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' && self.chars.get(self.pos + 1) == Some(&':') {
                let rest: String = self.chars[self.pos..].iter().collect();
                let end = rest.find(":]")?;
                let name = &rest[2..end];
                self.pos += end + 2;
                match name {
                    "digit" => ranges.push(('0', '9')),
                    "lower" => ranges.push(('a', 'z')),
                    "upper" => ranges.push(('A', 'Z')),
                    "alpha" => ranges.extend([('a', 'z'), ('A', 'Z')]),
                    "alnum" => ranges.extend([('a', 'z'), ('A', 'Z'), ('0', '9')]),
                    "space" => ranges.extend([(' ', ' '), ('\t', '\r')]),
                    _ => return None,
                }
                continue;
            }
            self.pos += 1;
            if self.chars.get(self.pos) == Some(&'-')
                && self.chars.get(self.pos + 1).is_some_and(|e| *e != ']')
            {
                let end = self.chars[self.pos + 1];
                self.pos += 2;
                ranges.push((c, end));
            } else {
                ranges.push((c, c));
            }
        }
        Some(Node::Class(ranges, negated))
    }
}

fn emit(node: &Node, code: &mut Vec<Inst>) {
    match node {
        Node::Char(c) => code.push(Inst::Char(*c)),
        Node::Any => code.push(Inst::Any),
        Node::Class(r, n) => code.push(Inst::Class(r.clone(), *n)),
        Node::Start => code.push(Inst::Start),
        Node::End => code.push(Inst::End),
        Node::Group(inner) => emit(inner, code),
        Node::Seq(items) => items.iter().for_each(|i| emit(i, code)),
        Node::Alt(branches) => {
            let mut jumps = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                if i + 1 < branches.len() {
                    let split = code.len();
                    code.push(Inst::Split(split + 1, 0));
                    emit(branch, code);
                    jumps.push(code.len());
                    code.push(Inst::Jmp(0));
                    let next = code.len();
                    code[split] = Inst::Split(split + 1, next);
                } else {
                    emit(branch, code);
                }
            }
            let end = code.len();
            for j in jumps {
                code[j] = Inst::Jmp(end);
            }
        }
        Node::Star(inner) => {
            let split = code.len();
            code.push(Inst::Split(split + 1, 0));
            emit(inner, code);
            code.push(Inst::Jmp(split));
            let end = code.len();
            code[split] = Inst::Split(split + 1, end);
        }
        Node::Plus(inner) => {
            let start = code.len();
            emit(inner, code);
            let end = code.len() + 1;
            code.push(Inst::Split(start, end));
        }
        Node::Quest(inner) => {
            let split = code.len();
            code.push(Inst::Split(split + 1, 0));
            emit(inner, code);
            let end = code.len();
            code[split] = Inst::Split(split + 1, end);
        }
    }
}

impl Regex {
    /// Compiles a pattern; `None` when it is malformed.
    pub fn new(pattern: &str, extended: bool, fixed: bool, ignore_case: bool) -> Option<Regex> {
        if pattern.len() > MAX_PATTERN {
            return None;
        }
        let pattern = if ignore_case {
            pattern.to_lowercase()
        } else {
            pattern.to_string()
        };
        let node = if fixed {
            Node::Seq(pattern.chars().map(Node::Char).collect())
        } else {
            let mut parser = Parser {
                chars: pattern.chars().collect(),
                pos: 0,
                extended,
                depth: 0,
            };
            let node = parser.alt()?;
            if parser.pos != parser.chars.len() {
                return None;
            }
            node
        };
        let mut code = Vec::new();
        emit(&node, &mut code);
        code.push(Inst::Match);
        Some(Regex { code, ignore_case })
    }

    /// Whether the pattern matches anywhere in `line`.
    pub fn is_match(&self, line: &str) -> bool {
        let text: Vec<char> = if self.ignore_case {
            line.to_lowercase().chars().collect()
        } else {
            line.chars().collect()
        };
        let n = self.code.len();
        let mut current = vec![false; n];
        let mut next = vec![false; n];
        let mut stack = Vec::new();
        for pos in 0..=text.len() {
            // A match may start at every position.
            self.add(0, pos, text.len(), &mut current, &mut stack);
            if current[n - 1] {
                return true;
            }
            if pos == text.len() {
                break;
            }
            let c = text[pos];
            next.iter_mut().for_each(|x| *x = false);
            for (pc, active) in current.iter().enumerate() {
                if !*active {
                    continue;
                }
                let advance = match &self.code[pc] {
                    Inst::Char(x) => *x == c,
                    Inst::Any => true,
                    Inst::Class(ranges, negated) => {
                        ranges.iter().any(|(a, b)| *a <= c && c <= *b) != *negated
                    }
                    _ => false,
                };
                if advance {
                    self.add(pc + 1, pos + 1, text.len(), &mut next, &mut stack);
                }
            }
            std::mem::swap(&mut current, &mut next);
            if current[n - 1] {
                return true;
            }
        }
        current[n - 1]
    }

    fn add(&self, pc: usize, pos: usize, len: usize, set: &mut [bool], stack: &mut Vec<usize>) {
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if pc >= set.len() || set[pc] {
                continue;
            }
            set[pc] = true;
            match &self.code[pc] {
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Jmp(a) => stack.push(*a),
                Inst::Start if pos == 0 => {
                    stack.push(pc + 1);
                }
                Inst::End if pos == len => {
                    stack.push(pc + 1);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    fn m(p: &str, ext: bool, text: &str) -> bool {
        Regex::new(p, ext, false, false).is_some_and(|r| r.is_match(text))
    }

    #[test]
    fn basic_and_extended() {
        assert!(m("hello", false, "say hello world"));
        assert!(!m("^hello", false, "say hello"));
        assert!(m("o$", false, "hello"));
        assert!(m("h.l*o", false, "hllllo"));
        assert!(m("[0-9][0-9]*", false, "abc 42"));
        assert!(!m("[^a-z]", false, "abc"));
        assert!(m("INFO|WARN", true, "x WARN y"));
        assert!(m("a+b?c", true, "aac"));
        assert!(m("(ab)+$", true, "xabab"));
        assert!(m("a\\|b", false, "b"));
        assert!(Regex::new("ERROR", false, false, true).is_some_and(|r| r.is_match("an error")));
        assert!(Regex::new("(", true, false, false).is_none());
        // Pathological patterns stay linear.
        let evil = "(a*)*(a*)*(a*)*b";
        assert!(!m(evil, true, &"a".repeat(5000)));
    }
}
