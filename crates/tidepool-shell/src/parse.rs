//! The shell's lexer and parser: a small bash subset. A command line becomes a [`List`] of
//! pipelines joined by `;`, `&&` and `||`; words keep their quoting so expansion (variables,
//! field splitting, globs, aliases) happens at run time.

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text (globs and tilde apply).
    Lit(String),
    /// Quoted text, taken literally.
    Quoted(String),
    /// `$NAME` unquoted: the value is split on whitespace.
    Var(String),
    /// `"$NAME"`: the value stays one field.
    QVar(String),
    /// `$(command)` unquoted: the output is split on whitespace.
    Cmd(String),
    /// `"$(command)"`: the output stays one field.
    QCmd(String),
    /// `<(command)`: a file holding the output (`/dev/fd/63`), named as one field.
    ProcSub(String),
}

pub type Word = Vec<Part>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redir {
    /// `>`/`>>` (fd 1) or `2>`/`2>>` (fd 2).
    Out {
        fd: u8,
        append: bool,
        target: Word,
    },
    In(Word),
    Heredoc {
        body: String,
        expand: bool,
    },
    /// `2>&1`
    ErrToOut,
    /// `&>` / `&>>`
    Both {
        append: bool,
        target: Word,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Simple {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    Seq,
    And,
    Or,
}

/// One pipeline of a list: the operator before it (the first has `Seq`) and whether a
/// trailing `&` sends it to the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub join: Join,
    pub pipeline: Vec<Simple>,
    pub background: bool,
}

/// The pipelines of a command line, in order.
pub type List = Vec<Item>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    Pipe,
    And,
    Or,
    Semi,
    /// `&`: run the pipeline before it in the background.
    Amp,
    Out(u8, bool),
    In,
    Heredoc(String, bool, bool),
    ErrToOut,
    Both(bool),
}

/// What a first look at a command line says.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// An open quote, a trailing `\`, `|`, `&&` or `||`: more lines are needed.
    Incomplete,
    /// Complete; these heredocs (delimiter, strip tabs) must be read next.
    Heredocs(Vec<(String, bool)>),
}

pub fn scan(text: &str) -> Scan {
    match lex(text) {
        Err(LexError::Incomplete) => Scan::Incomplete,
        Err(LexError::Syntax(_)) => Scan::Heredocs(Vec::new()),
        Ok(toks) => {
            if matches!(toks.last(), Some(Tok::Pipe | Tok::And | Tok::Or)) {
                return Scan::Incomplete;
            }
            Scan::Heredocs(
                toks.iter()
                    .filter_map(|t| match t {
                        Tok::Heredoc(d, _, strip) => Some((d.clone(), *strip)),
                        _ => None,
                    })
                    .collect(),
            )
        }
    }
}

enum LexError {
    Incomplete,
    Syntax(String),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[allow(unused_assignments)] // the macros reset state that the last use leaves unread
fn lex(text: &str) -> Result<Vec<Tok>, LexError> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut word: Word = Vec::new();
    let mut lit = String::new();
    let mut in_word = false;

    macro_rules! flush_lit {
        () => {
            if !lit.is_empty() {
                word.push(Part::Lit(std::mem::take(&mut lit)));
            }
        };
    }
    macro_rules! end_word {
        () => {
            flush_lit!();
            if in_word {
                toks.push(Tok::Word(std::mem::take(&mut word)));
                in_word = false;
            }
        };
    }

    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                end_word!();
                i += 1;
            }
            '\n' => {
                end_word!();
                if !matches!(
                    toks.last(),
                    None | Some(Tok::Semi | Tok::Amp | Tok::Pipe | Tok::And | Tok::Or)
                ) {
                    toks.push(Tok::Semi);
                }
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\\' => {
                in_word = true;
                match chars.get(i + 1) {
                    None => return Err(LexError::Incomplete),
                    Some('\n') => {}
                    Some(&n) => {
                        flush_lit!();
                        word.push(Part::Quoted(n.to_string()));
                    }
                }
                i += 2;
            }
            '\'' => {
                in_word = true;
                flush_lit!();
                let start = i + 1;
                let Some(end) = chars[start..].iter().position(|&c| c == '\'') else {
                    return Err(LexError::Incomplete);
                };
                word.push(Part::Quoted(chars[start..start + end].iter().collect()));
                i = start + end + 1;
            }
            '"' => {
                in_word = true;
                flush_lit!();
                i += 1;
                let mut q = String::new();
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(LexError::Incomplete);
                    };
                    match c {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\\' if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            q.push(chars[i + 1]);
                            i += 2;
                        }
                        '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
                        '$' if chars.get(i + 1) == Some(&'(') => {
                            let (text, next) = read_subst(&chars, i)?;
                            if !q.is_empty() {
                                word.push(Part::Quoted(std::mem::take(&mut q)));
                            }
                            word.push(Part::QCmd(text));
                            i = next;
                        }
                        '$' => {
                            let (var, next) = read_var(&chars, i);
                            match var {
                                Some(v) => {
                                    if !q.is_empty() {
                                        word.push(Part::Quoted(std::mem::take(&mut q)));
                                    }
                                    word.push(Part::QVar(v));
                                }
                                None => q.push('$'),
                            }
                            i = next;
                        }
                        c => {
                            q.push(c);
                            i += 1;
                        }
                    }
                }
                word.push(Part::Quoted(q));
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let (text, next) = read_subst(&chars, i)?;
                flush_lit!();
                word.push(Part::Cmd(text));
                i = next;
            }
            '$' => {
                in_word = true;
                let (var, next) = read_var(&chars, i);
                match var {
                    Some(v) => {
                        flush_lit!();
                        word.push(Part::Var(v));
                    }
                    None => lit.push('$'),
                }
                i = next;
            }
            '|' => {
                end_word!();
                if chars.get(i + 1) == Some(&'|') {
                    toks.push(Tok::Or);
                    i += 2;
                } else {
                    toks.push(Tok::Pipe);
                    i += 1;
                }
            }
            '&' => {
                end_word!();
                match chars.get(i + 1) {
                    Some('&') => {
                        toks.push(Tok::And);
                        i += 2;
                    }
                    Some('>') => {
                        let append = chars.get(i + 2) == Some(&'>');
                        toks.push(Tok::Both(append));
                        i += if append { 3 } else { 2 };
                    }
                    _ => {
                        toks.push(Tok::Amp);
                        i += 1;
                    }
                }
            }
            ';' => {
                end_word!();
                toks.push(Tok::Semi);
                i += 1;
            }
            '>' | '<' => {
                // `2>` / `2>&1`: a lone `2` just before is the fd.
                let mut fd = 1;
                if c == '>' && in_word && word.is_empty() && lit == "2" {
                    lit.clear();
                    in_word = false;
                    fd = 2;
                }
                end_word!();
                if c == '>' {
                    if fd == 2 && chars.get(i + 1) == Some(&'&') && chars.get(i + 2) == Some(&'1') {
                        toks.push(Tok::ErrToOut);
                        i += 3;
                    } else if chars.get(i + 1) == Some(&'>') {
                        toks.push(Tok::Out(fd, true));
                        i += 2;
                    } else {
                        toks.push(Tok::Out(fd, false));
                        i += 1;
                    }
                } else if chars.get(i + 1) == Some(&'(') {
                    // `<(command)`: process substitution, a word of its own.
                    let (text, next) = read_subst(&chars, i)?;
                    in_word = true;
                    word.push(Part::ProcSub(text));
                    i = next;
                } else if chars.get(i + 1) == Some(&'<') {
                    i += 2;
                    let strip = chars.get(i) == Some(&'-');
                    if strip {
                        i += 1;
                    }
                    while matches!(chars.get(i), Some(' ' | '\t')) {
                        i += 1;
                    }
                    let mut delim = String::new();
                    let mut quoted = false;
                    while let Some(&c) = chars.get(i) {
                        match c {
                            '\'' | '"' => {
                                quoted = true;
                                i += 1;
                            }
                            ' ' | '\t' | '\n' | ';' | '|' | '&' | '>' | '<' => break,
                            c => {
                                delim.push(c);
                                i += 1;
                            }
                        }
                    }
                    if delim.is_empty() {
                        return Err(LexError::Syntax(
                            "syntax error near unexpected token `newline'".to_owned(),
                        ));
                    }
                    toks.push(Tok::Heredoc(delim, !quoted, strip));
                } else {
                    toks.push(Tok::In);
                    i += 1;
                }
            }
            c => {
                in_word = true;
                lit.push(c);
                i += 1;
            }
        }
    }
    end_word!();
    Ok(toks)
}

/// Reads `$(...)` at `chars[i] == '$'` (nested parentheses and quotes respected); returns
/// the command text and the next index.
fn read_subst(chars: &[char], i: usize) -> Result<(String, usize), LexError> {
    let mut depth = 0usize;
    let mut j = i + 1;
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(j) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Ok((chars[i + 2..j].iter().collect(), j + 1));
                }
            }
            _ => {}
        }
        j += 1;
    }
    Err(LexError::Incomplete)
}

/// Reads `$NAME`, `${NAME}` or `$?` at `chars[i] == '$'`; returns the name and the next index.
fn read_var(chars: &[char], i: usize) -> (Option<String>, usize) {
    match chars.get(i + 1) {
        Some('{') => {
            let start = i + 2;
            match chars[start..].iter().position(|&c| c == '}') {
                Some(end) => (
                    Some(chars[start..start + end].iter().collect()),
                    start + end + 1,
                ),
                None => (None, i + 1),
            }
        }
        Some('?') => (Some("?".to_owned()), i + 2),
        Some(&c) if is_name_char(c) && !c.is_ascii_digit() => {
            let mut j = i + 1;
            while j < chars.len() && is_name_char(chars[j]) {
                j += 1;
            }
            (Some(chars[i + 1..j].iter().collect()), j)
        }
        Some(&c) if c.is_ascii_digit() => (Some(c.to_string()), i + 2),
        _ => (None, i + 1),
    }
}

fn token_text(t: &Tok) -> &'static str {
    match t {
        Tok::Pipe => "|",
        Tok::And => "&&",
        Tok::Or => "||",
        Tok::Semi => ";",
        Tok::Amp => "&",
        Tok::Out(_, false) => ">",
        Tok::Out(_, true) => ">>",
        Tok::In => "<",
        Tok::Heredoc(..) => "<<",
        Tok::ErrToOut => "2>&1",
        Tok::Both(_) => "&>",
        Tok::Word(_) => "word",
    }
}

/// Parses a complete command line; `bodies` are the heredoc bodies in order.
pub fn parse(text: &str, bodies: Vec<String>) -> Result<List, String> {
    let toks = match lex(text) {
        Ok(t) => t,
        Err(LexError::Incomplete) => {
            return Err("unexpected EOF while looking for matching quote".to_owned());
        }
        Err(LexError::Syntax(s)) => return Err(s),
    };
    let mut bodies = bodies.into_iter();
    let mut list: List = Vec::new();
    let mut join = Join::Seq;
    let mut pipeline: Vec<Simple> = Vec::new();
    let mut cmd = Simple::default();
    let mut it = toks.into_iter().peekable();
    let unexpected = |t: &Tok| format!("syntax error near unexpected token `{}'", token_text(t));
    while let Some(tok) = it.next() {
        match tok {
            Tok::Word(w) => {
                if cmd.words.is_empty()
                    && let Some(Part::Lit(first)) = w.first()
                    && let Some((name, value)) = first.split_once('=')
                    && !name.is_empty()
                    && name.chars().all(is_name_char)
                {
                    let mut value_word = vec![Part::Lit(value.to_owned())];
                    value_word.extend(w.iter().skip(1).cloned());
                    cmd.assigns.push((name.to_owned(), value_word));
                } else {
                    cmd.words.push(w);
                }
            }
            Tok::Out(fd, append) => match it.next() {
                Some(Tok::Word(target)) => cmd.redirs.push(Redir::Out { fd, append, target }),
                Some(t) => return Err(unexpected(&t)),
                None => return Err("syntax error near unexpected token `newline'".to_owned()),
            },
            Tok::Both(append) => match it.next() {
                Some(Tok::Word(target)) => cmd.redirs.push(Redir::Both { append, target }),
                Some(t) => return Err(unexpected(&t)),
                None => return Err("syntax error near unexpected token `newline'".to_owned()),
            },
            Tok::In => match it.next() {
                Some(Tok::Word(target)) => cmd.redirs.push(Redir::In(target)),
                Some(t) => return Err(unexpected(&t)),
                None => return Err("syntax error near unexpected token `newline'".to_owned()),
            },
            Tok::Heredoc(_, expand, _) => cmd.redirs.push(Redir::Heredoc {
                body: bodies.next().unwrap_or_default(),
                expand,
            }),
            Tok::ErrToOut => cmd.redirs.push(Redir::ErrToOut),
            Tok::Pipe => {
                if cmd == Simple::default() {
                    return Err(unexpected(&Tok::Pipe));
                }
                pipeline.push(std::mem::take(&mut cmd));
            }
            t @ (Tok::And | Tok::Or | Tok::Semi | Tok::Amp) => {
                if cmd == Simple::default() {
                    if pipeline.is_empty() && t == Tok::Semi && list.is_empty() {
                        return Err(unexpected(&t));
                    }
                    if pipeline.is_empty() && t == Tok::Semi {
                        continue;
                    }
                    return Err(unexpected(&t));
                }
                pipeline.push(std::mem::take(&mut cmd));
                list.push(Item {
                    join,
                    pipeline: std::mem::take(&mut pipeline),
                    background: t == Tok::Amp,
                });
                join = match t {
                    Tok::And => Join::And,
                    Tok::Or => Join::Or,
                    _ => Join::Seq,
                };
            }
        }
    }
    if cmd != Simple::default() {
        pipeline.push(cmd);
    } else if !pipeline.is_empty() {
        return Err("syntax error: unexpected end of file".to_owned());
    }
    if !pipeline.is_empty() {
        list.push(Item {
            join,
            pipeline,
            background: false,
        });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Word {
        vec![Part::Lit(s.to_owned())]
    }

    #[test]
    fn pipelines_and_lists() {
        let list = parse("a b | c && d || e; f", Vec::new()).unwrap_or_default();
        let shape: Vec<(Join, usize)> = list.iter().map(|i| (i.join, i.pipeline.len())).collect();
        assert_eq!(
            shape,
            vec![
                (Join::Seq, 2),
                (Join::And, 1),
                (Join::Or, 1),
                (Join::Seq, 1)
            ]
        );
        assert_eq!(list[0].pipeline[0].words, vec![lit("a"), lit("b")]);
        let jobs = parse("a & b", Vec::new()).unwrap_or_default();
        let background: Vec<bool> = jobs.iter().map(|i| i.background).collect();
        assert_eq!(background, vec![true, false]);
        assert!(parse("& a", Vec::new()).is_err());
    }

    #[test]
    fn quotes_and_vars() {
        let list = parse("echo 'a b' \"x $HOME y\" $A\\ z", Vec::new()).unwrap_or_default();
        let words = &list[0].pipeline[0].words;
        assert_eq!(words[1], vec![Part::Quoted("a b".to_owned())]);
        assert_eq!(
            words[2],
            vec![
                Part::Quoted("x ".to_owned()),
                Part::QVar("HOME".to_owned()),
                Part::Quoted(" y".to_owned())
            ]
        );
        assert_eq!(
            words[3],
            vec![
                Part::Var("A".to_owned()),
                Part::Quoted(" ".to_owned()),
                Part::Lit("z".to_owned())
            ]
        );
    }

    #[test]
    fn heredocs_and_incomplete_input() {
        assert_eq!(
            scan("cat <<EOF | kubectl apply -f -"),
            Scan::Heredocs(vec![("EOF".to_owned(), false)])
        );
        assert_eq!(scan("echo 'open"), Scan::Incomplete);
        assert_eq!(scan("a |"), Scan::Incomplete);
        assert!(parse("| a", Vec::new()).is_err());
        assert!(parse("a >", Vec::new()).is_err());
    }
}
