//! Parser: source text to an AST (POSIX shell grammar, the subset containers use).
//!
//! Hand-written recursive descent over chars, with a depth limit so hostile input (deep nesting,
//! huge scripts) ends in a [`SyntaxError`], never a stack overflow or a hang.

use serde::{Deserialize, Serialize};

/// Longest script accepted, in bytes.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// Deepest nesting of compound commands, substitutions and quotes.
pub const MAX_DEPTH: usize = 100;

/// What went wrong, rendered per shell by [`SyntaxError::message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyntaxErrorKind {
    /// A token where it does not belong (`done`, `)`, `;;`).
    Unexpected(String),
    /// The input ended inside a construct; `expecting` is the keyword that would close it.
    UnexpectedEof {
        /// The closing keyword or token (`done`, `fi`, `)`), if any.
        expecting: Option<String>,
    },
    /// An unterminated `'`, `"` or backquote.
    UnterminatedQuote,
    /// Bad `${...}` (`${}`, `${X:?}` forms we do not know).
    BadSubstitution(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Script longer than [`MAX_SCRIPT_BYTES`].
    TooLong,
}

/// A syntax error with its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntaxError {
    /// What went wrong.
    pub kind: SyntaxErrorKind,
    /// The line it was found on.
    pub line: usize,
}

/// Which shell is parsing: error texts differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flavor {
    /// busybox ash (`sh` in busybox and alpine): `sh: syntax error: unexpected "done"`.
    Ash,
    /// dash (`sh` in Debian/Ubuntu): `sh: 1: Syntax error: "done" unexpected`.
    Dash,
    /// GNU bash.
    Bash,
}

impl SyntaxError {
    /// The message the shell prints to stderr (one line or two, newline-terminated), given the
    /// name it runs as (`sh`, `bash`). Exit status is 2.
    pub fn message(&self, flavor: Flavor, name: &str) -> String {
        let line = self.line;
        match flavor {
            Flavor::Ash => match &self.kind {
                SyntaxErrorKind::Unexpected(token) => {
                    format!("{name}: syntax error: unexpected \"{token}\"\n")
                }
                SyntaxErrorKind::UnexpectedEof { expecting: Some(e) } => {
                    format!("{name}: syntax error: unexpected end of file (expecting \"{e}\")\n")
                }
                SyntaxErrorKind::UnexpectedEof { expecting: None } => {
                    format!("{name}: syntax error: unexpected end of file\n")
                }
                SyntaxErrorKind::UnterminatedQuote => {
                    format!("{name}: syntax error: unterminated quoted string\n")
                }
                SyntaxErrorKind::BadSubstitution(_) => {
                    format!("{name}: syntax error: bad substitution\n")
                }
                SyntaxErrorKind::TooDeep => format!("{name}: syntax error: nesting too deep\n"),
                SyntaxErrorKind::TooLong => format!("{name}: syntax error: script too long\n"),
            },
            Flavor::Dash => match &self.kind {
                SyntaxErrorKind::Unexpected(token) => {
                    format!("{name}: {line}: Syntax error: \"{token}\" unexpected\n")
                }
                SyntaxErrorKind::UnexpectedEof { expecting: Some(e) } => {
                    format!(
                        "{name}: {line}: Syntax error: end of file unexpected (expecting \"{e}\")\n"
                    )
                }
                SyntaxErrorKind::UnexpectedEof { expecting: None } => {
                    format!("{name}: {line}: Syntax error: end of file unexpected\n")
                }
                SyntaxErrorKind::UnterminatedQuote => {
                    format!("{name}: {line}: Syntax error: Unterminated quoted string\n")
                }
                SyntaxErrorKind::BadSubstitution(_) => {
                    format!("{name}: {line}: Syntax error: Bad substitution\n")
                }
                SyntaxErrorKind::TooDeep => {
                    format!("{name}: {line}: Syntax error: nesting too deep\n")
                }
                SyntaxErrorKind::TooLong => {
                    format!("{name}: {line}: Syntax error: script too long\n")
                }
            },
            Flavor::Bash => match &self.kind {
                SyntaxErrorKind::Unexpected(token) => format!(
                    "{name}: -c: line {line}: syntax error near unexpected token `{token}'\n{name}: -c: line {line}: `{token}'\n"
                ),
                SyntaxErrorKind::UnexpectedEof { .. } => {
                    format!("{name}: -c: line {line}: syntax error: unexpected end of file\n")
                }
                SyntaxErrorKind::UnterminatedQuote => format!(
                    "{name}: -c: line {line}: unexpected EOF while looking for matching quote\n{name}: -c: line {}: syntax error: unexpected end of file\n",
                    line + 1
                ),
                SyntaxErrorKind::BadSubstitution(text) => {
                    format!("{name}: {text}: bad substitution\n")
                }
                SyntaxErrorKind::TooDeep => format!("{name}: -c: line {line}: nesting too deep\n"),
                SyntaxErrorKind::TooLong => format!("{name}: -c: script too long\n"),
            },
        }
    }
}

/// `${name<op>word}` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamOp {
    /// `${X:-w}` (colon: also when empty) / `${X-w}`.
    Default { colon: bool },
    /// `${X:=w}` / `${X=w}`.
    Assign { colon: bool },
    /// `${X:+w}` / `${X+w}`.
    Alternative { colon: bool },
    /// `${X:?w}` / `${X?w}`.
    Error { colon: bool },
    /// `${#X}`.
    Length,
    /// `${X#p}` / `${X##p}`.
    RemovePrefix { longest: bool },
    /// `${X%p}` / `${X%%p}`.
    RemoveSuffix { longest: bool },
}

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// Unquoted literal text (subject to globbing; never field-split).
    Lit(String),
    /// Quoted or escaped literal text.
    Quoted(String),
    /// `$X`, `${X}`, `${X:-w}`, `$?`, `$1`... `quoted`: inside double quotes (no splitting).
    Param {
        /// Variable or special parameter name.
        name: String,
        /// Operator and its word.
        op: Option<(ParamOp, Vec<Part>)>,
        /// Inside double quotes.
        quoted: bool,
    },
    /// `$(...)` or backquotes; compiled to a substitution slot.
    Subst {
        /// The inner program.
        body: Box<List>,
        /// Inside double quotes.
        quoted: bool,
    },
    /// `$((expr))`; the expression text is expanded first.
    Arith {
        /// The expression's parts.
        expr: Vec<Part>,
        /// Inside double quotes.
        quoted: bool,
    },
    /// A compiled substitution: the output the VM captured into this slot.
    Slot {
        /// Slot index.
        slot: u16,
        /// Inside double quotes.
        quoted: bool,
    },
}

/// A word: parts concatenated.
pub type Word = Vec<Part>;

/// Redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedirOp {
    /// `>` (and `>|`).
    Out,
    /// `>>`.
    Append,
    /// `<`.
    In,
    /// `>&N` / `N>&M`.
    DupOut,
    /// `&>` (bash): stdout and stderr to a file.
    OutErr,
    /// `<<` / `<<-`: the word is the document body (already read).
    HereDoc,
}

/// One redirection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redir {
    /// The file descriptor (default 1 for output, 0 for input).
    pub fd: u32,
    /// The operator.
    pub op: RedirOp,
    /// The target word (a file name, an fd number for DupOut, the heredoc body).
    pub target: Word,
}

/// A simple command: assignments, words, redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Simple {
    /// `NAME=value` prefixes.
    pub assigns: Vec<(String, Word)>,
    /// The command words.
    pub words: Vec<Word>,
    /// Redirections.
    pub redirs: Vec<Redir>,
}

/// A command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// A simple command.
    Simple(Simple),
    /// `if c; then b; elif c; then b; else b; fi`.
    If {
        /// (condition, body) pairs.
        branches: Vec<(List, List)>,
        /// The else body.
        otherwise: Option<List>,
    },
    /// `while`/`until c; do b; done`.
    Loop {
        /// `until` instead of `while`.
        until: bool,
        /// The condition.
        cond: List,
        /// The body.
        body: List,
    },
    /// `for v in words; do b; done` (`in` omitted: `"$@"`).
    For {
        /// Loop variable.
        var: String,
        /// The words, None for `"$@"`.
        words: Option<Vec<Word>>,
        /// The body.
        body: List,
    },
    /// `case w in p|p) b;; esac`.
    Case {
        /// The subject.
        word: Word,
        /// (patterns, body) arms.
        arms: Vec<(Vec<Word>, List)>,
    },
    /// `{ list; }`.
    Group(List),
    /// `( list )`.
    Subshell(List),
    /// `name() { ...; }`.
    FuncDef {
        /// Function name.
        name: String,
        /// Body.
        body: Box<Command>,
    },
    /// A compound command with redirections.
    Redirected(Box<Command>, Vec<Redir>),
}

/// A pipeline (`! a | b`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Leading `!`.
    pub negate: bool,
    /// Stages, at least one.
    pub commands: Vec<Command>,
}

/// `&&` / `||` chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndOr {
    /// The first pipeline.
    pub first: Pipeline,
    /// Following pipelines with their connector (`true` = `&&`).
    pub rest: Vec<(bool, Pipeline)>,
}

/// A list of and-or chains; `true` marks a background (`&`) item.
pub type List = Vec<(AndOr, bool)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word, String),
    Op(&'static str),
    /// A redirection operator with its explicit fd (`2>` is `Redir(Some(2), ">")`).
    Redir(Option<u32>, &'static str),
    Newline,
    Eof,
}

/// A parsed script: the command list and its here-document bodies (indexed by the number a
/// `HereDoc` redirection's target holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The commands.
    pub list: List,
    /// Here-document bodies, in order of appearance.
    pub heredocs: Vec<Word>,
}

struct Parser<'s> {
    src: &'s [u8],
    pos: usize,
    line: usize,
    depth: usize,
    peeked: Option<(Tok, usize, usize)>,
    /// Here-documents whose bodies start after the next newline: (delimiter, strip tabs, quoted).
    pending_heredocs: Vec<(String, bool, bool)>,
    heredocs: Vec<Word>,
}

type PResult<T> = Result<T, SyntaxError>;

/// Parses a whole script.
pub fn parse_program(source: &str) -> Result<Parsed, SyntaxError> {
    parse_at_depth(source, 0)
}

fn parse_at_depth(source: &str, depth: usize) -> Result<Parsed, SyntaxError> {
    if source.len() > MAX_SCRIPT_BYTES {
        return Err(SyntaxError {
            kind: SyntaxErrorKind::TooLong,
            line: 1,
        });
    }
    let mut parser = Parser::new(source, depth);
    let list = parser.list(&[])?;
    match parser.next()? {
        Tok::Eof => {}
        other => return Err(parser.unexpected(&other)),
    }
    if !parser.pending_heredocs.is_empty() {
        parser.read_heredoc_bodies()?;
    }
    Ok(Parsed {
        list,
        heredocs: parser.heredocs,
    })
}

fn word_text(tok: &Tok) -> String {
    match tok {
        Tok::Word(_, raw) => raw.clone(),
        Tok::Op(op) => (*op).to_string(),
        Tok::Redir(fd, op) => format!("{}{op}", fd.map(|f| f.to_string()).unwrap_or_default()),
        Tok::Newline => "newline".to_string(),
        Tok::Eof => "end of file".to_string(),
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl<'s> Parser<'s> {
    fn new(source: &'s str, depth: usize) -> Self {
        Parser {
            src: source.as_bytes(),
            pos: 0,
            line: 1,
            depth,
            peeked: None,
            pending_heredocs: Vec::new(),
            heredocs: Vec::new(),
        }
    }

    fn err(&self, kind: SyntaxErrorKind) -> SyntaxError {
        SyntaxError {
            kind,
            line: self.line,
        }
    }

    fn unexpected(&self, tok: &Tok) -> SyntaxError {
        match tok {
            Tok::Eof => self.err(SyntaxErrorKind::UnexpectedEof { expecting: None }),
            other => self.err(SyntaxErrorKind::Unexpected(word_text(other))),
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.err(SyntaxErrorKind::TooDeep))
        } else {
            Ok(())
        }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn peek_byte(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek(&mut self) -> PResult<&Tok> {
        if self.peeked.is_none() {
            let start = self.pos;
            let tok = self.lex()?;
            self.peeked = Some((tok, start, self.line));
        }
        match &self.peeked {
            Some((tok, _, _)) => Ok(tok),
            None => Ok(&Tok::Eof),
        }
    }

    fn next(&mut self) -> PResult<Tok> {
        self.peek()?;
        Ok(self.peeked.take().map(|(t, _, _)| t).unwrap_or(Tok::Eof))
    }

    /// Whether the next token is this reserved word (only when unquoted and alone).
    fn at_keyword(&mut self, kw: &str) -> PResult<bool> {
        Ok(matches!(self.peek()?, Tok::Word(_, raw) if raw == kw))
    }

    fn expect_keyword(&mut self, kw: &str) -> PResult<()> {
        self.skip_newlines()?;
        let tok = self.next()?;
        match &tok {
            Tok::Word(_, raw) if raw == kw => Ok(()),
            Tok::Eof => Err(self.err(SyntaxErrorKind::UnexpectedEof {
                expecting: Some(kw.to_string()),
            })),
            other => Err(self.unexpected(other)),
        }
    }

    fn skip_newlines(&mut self) -> PResult<()> {
        while matches!(self.peek()?, Tok::Newline) {
            self.next()?;
        }
        Ok(())
    }

    // ---- grammar ----

    /// A list, stopping (without consuming) at a reserved word in `stops`, `)`, `;;` or EOF.
    fn list(&mut self, stops: &[&str]) -> PResult<List> {
        self.enter()?;
        let mut items = List::new();
        loop {
            self.skip_newlines()?;
            match self.peek()? {
                Tok::Eof | Tok::Op(")") | Tok::Op(";;") => break,
                Tok::Word(_, raw) if stops.contains(&raw.as_str()) => break,
                _ => {}
            }
            let and_or = self.and_or()?;
            let background = match self.peek()? {
                Tok::Op("&") => {
                    self.next()?;
                    true
                }
                Tok::Op(";") => {
                    self.next()?;
                    false
                }
                Tok::Newline | Tok::Eof | Tok::Op(")") | Tok::Op(";;") => false,
                Tok::Word(_, raw) if stops.contains(&raw.as_str()) => false,
                _ => {
                    let tok = self.next()?;
                    return Err(self.unexpected(&tok));
                }
            };
            items.push((and_or, background));
        }
        self.leave();
        Ok(items)
    }

    fn and_or(&mut self) -> PResult<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let and = match self.peek()? {
                Tok::Op("&&") => true,
                Tok::Op("||") => false,
                _ => break,
            };
            self.next()?;
            self.skip_newlines()?;
            rest.push((and, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> PResult<Pipeline> {
        let mut negate = false;
        if self.at_keyword("!")? {
            self.next()?;
            negate = true;
        }
        let mut commands = vec![self.command()?];
        while matches!(self.peek()?, Tok::Op("|")) {
            self.next()?;
            self.skip_newlines()?;
            commands.push(self.command()?);
        }
        Ok(Pipeline { negate, commands })
    }

    fn command(&mut self) -> PResult<Command> {
        self.enter()?;
        let tok = self.peek()?.clone();
        let command = match &tok {
            Tok::Word(_, raw) => match raw.as_str() {
                "if" => self.if_command()?,
                "while" | "until" => {
                    self.next()?;
                    let cond = self.list(&["do"])?;
                    self.expect_keyword("do")?;
                    let body = self.list(&["done"])?;
                    self.expect_keyword("done")?;
                    Command::Loop {
                        until: raw == "until",
                        cond,
                        body,
                    }
                }
                "for" => self.for_command()?,
                "case" => self.case_command()?,
                "{" => {
                    self.next()?;
                    let body = self.list(&["}"])?;
                    self.expect_keyword("}")?;
                    Command::Group(body)
                }
                "then" | "elif" | "else" | "fi" | "do" | "done" | "esac" | "}" | "in" => {
                    self.next()?;
                    return Err(self.unexpected(&tok));
                }
                _ => self.simple_or_function()?,
            },
            Tok::Op("(") => {
                self.next()?;
                let body = self.list(&[])?;
                match self.next()? {
                    Tok::Op(")") => {}
                    Tok::Eof => {
                        return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                            expecting: Some(")".into()),
                        }));
                    }
                    other => return Err(self.unexpected(&other)),
                }
                Command::Subshell(body)
            }
            Tok::Redir(..) => self.simple_or_function()?,
            _ => {
                let tok = self.next()?;
                return Err(self.unexpected(&tok));
            }
        };
        let command = match command {
            Command::Simple(_) | Command::FuncDef { .. } => command,
            compound => {
                let mut redirs = Vec::new();
                while let Some(redir) = self.maybe_redir()? {
                    redirs.push(redir);
                }
                if redirs.is_empty() {
                    compound
                } else {
                    Command::Redirected(Box::new(compound), redirs)
                }
            }
        };
        self.leave();
        Ok(command)
    }

    fn if_command(&mut self) -> PResult<Command> {
        self.next()?; // if
        let mut branches = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.list(&["then"])?;
            self.expect_keyword("then")?;
            let body = self.list(&["elif", "else", "fi"])?;
            branches.push((cond, body));
            self.skip_newlines()?;
            match self.next()? {
                Tok::Word(_, raw) if raw == "elif" => continue,
                Tok::Word(_, raw) if raw == "else" => {
                    otherwise = Some(self.list(&["fi"])?);
                    self.expect_keyword("fi")?;
                    break;
                }
                Tok::Word(_, raw) if raw == "fi" => break,
                Tok::Eof => {
                    return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                        expecting: Some("fi".into()),
                    }));
                }
                other => return Err(self.unexpected(&other)),
            }
        }
        Ok(Command::If {
            branches,
            otherwise,
        })
    }

    fn for_command(&mut self) -> PResult<Command> {
        self.next()?; // for
        let var = match self.next()? {
            Tok::Word(_, raw) if is_name(&raw) => raw,
            Tok::Eof => return Err(self.err(SyntaxErrorKind::UnexpectedEof { expecting: None })),
            other => return Err(self.unexpected(&other)),
        };
        self.skip_newlines()?;
        let mut words = None;
        if self.at_keyword("in")? {
            self.next()?;
            let mut list = Vec::new();
            loop {
                match self.peek()? {
                    Tok::Word(..) => {
                        if let Tok::Word(word, _) = self.next()? {
                            list.push(word);
                        }
                    }
                    Tok::Op(";") | Tok::Newline => {
                        self.next()?;
                        break;
                    }
                    Tok::Eof => {
                        return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                            expecting: Some("do".into()),
                        }));
                    }
                    _ => {
                        let tok = self.next()?;
                        return Err(self.unexpected(&tok));
                    }
                }
            }
            words = Some(list);
        } else if matches!(self.peek()?, Tok::Op(";")) {
            self.next()?;
        }
        self.expect_keyword("do")?;
        let body = self.list(&["done"])?;
        self.expect_keyword("done")?;
        Ok(Command::For { var, words, body })
    }

    fn case_command(&mut self) -> PResult<Command> {
        self.next()?; // case
        let word = match self.next()? {
            Tok::Word(word, _) => word,
            Tok::Eof => return Err(self.err(SyntaxErrorKind::UnexpectedEof { expecting: None })),
            other => return Err(self.unexpected(&other)),
        };
        self.skip_newlines()?;
        self.expect_keyword("in")?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines()?;
            if self.at_keyword("esac")? {
                self.next()?;
                break;
            }
            if matches!(self.peek()?, Tok::Op("(")) {
                self.next()?;
            }
            let mut patterns = Vec::new();
            loop {
                match self.next()? {
                    Tok::Word(word, _) => patterns.push(word),
                    Tok::Eof => {
                        return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                            expecting: Some(")".into()),
                        }));
                    }
                    other => return Err(self.unexpected(&other)),
                }
                match self.next()? {
                    Tok::Op("|") => continue,
                    Tok::Op(")") => break,
                    Tok::Eof => {
                        return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                            expecting: Some(")".into()),
                        }));
                    }
                    other => return Err(self.unexpected(&other)),
                }
            }
            let body = self.list(&["esac"])?;
            arms.push((patterns, body));
            self.skip_newlines()?;
            match self.peek()? {
                Tok::Op(";;") => {
                    self.next()?;
                }
                Tok::Word(_, raw) if raw == "esac" => {}
                Tok::Eof => {
                    return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                        expecting: Some("esac".into()),
                    }));
                }
                _ => {
                    let tok = self.next()?;
                    return Err(self.unexpected(&tok));
                }
            }
        }
        Ok(Command::Case { word, arms })
    }

    fn maybe_redir(&mut self) -> PResult<Option<Redir>> {
        let (fd, op) = match self.peek()? {
            Tok::Redir(fd, op) => (*fd, *op),
            _ => return Ok(None),
        };
        self.next()?;
        let (redir_op, default_fd) = match op {
            ">" | ">|" => (RedirOp::Out, 1),
            ">>" => (RedirOp::Append, 1),
            "<" => (RedirOp::In, 0),
            ">&" => (RedirOp::DupOut, 1),
            "<&" => (RedirOp::DupOut, 0),
            "&>" => (RedirOp::OutErr, 1),
            _ => (RedirOp::HereDoc, 0),
        };
        let target = match self.next()? {
            Tok::Word(word, _) if redir_op == RedirOp::HereDoc => {
                let quoted = word.iter().any(|p| !matches!(p, Part::Lit(_)));
                let delimiter: String = word
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) | Part::Quoted(s) => s.as_str(),
                        _ => "",
                    })
                    .collect();
                let index = self.heredocs.len() + self.pending_heredocs.len();
                self.pending_heredocs.push((delimiter, op == "<<-", quoted));
                vec![Part::Lit(index.to_string())]
            }
            Tok::Word(word, _) => word,
            Tok::Eof => return Err(self.err(SyntaxErrorKind::UnexpectedEof { expecting: None })),
            other => return Err(self.unexpected(&other)),
        };
        Ok(Some(Redir {
            fd: fd.unwrap_or(default_fd),
            op: redir_op,
            target,
        }))
    }

    fn simple_or_function(&mut self) -> PResult<Command> {
        let mut simple = Simple::default();
        loop {
            if let Some(redir) = self.maybe_redir()? {
                simple.redirs.push(redir);
                continue;
            }
            let is_word = matches!(self.peek()?, Tok::Word(..));
            if !is_word {
                break;
            }
            let Tok::Word(word, raw) = self.next()? else {
                break;
            };
            // name() { ... }
            if simple.words.is_empty()
                && simple.assigns.is_empty()
                && is_name(&raw)
                && matches!(self.peek()?, Tok::Op("("))
            {
                self.next()?;
                match self.next()? {
                    Tok::Op(")") => {}
                    other => return Err(self.unexpected(&other)),
                }
                self.skip_newlines()?;
                let body = self.command()?;
                return Ok(Command::FuncDef {
                    name: raw,
                    body: Box::new(body),
                });
            }
            if simple.words.is_empty()
                && let Some((name, value)) = split_assignment(&word)
            {
                simple.assigns.push((name, value));
                continue;
            }
            simple.words.push(word);
        }
        if simple.words.is_empty() && simple.assigns.is_empty() && simple.redirs.is_empty() {
            let tok = self.next()?;
            return Err(self.unexpected(&tok));
        }
        Ok(Command::Simple(simple))
    }
}

fn split_assignment(word: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first)) = word.first() else {
        return None;
    };
    let (name, value) = first.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut rest: Word = Vec::new();
    if !value.is_empty() {
        rest.push(Part::Lit(value.to_string()));
    }
    rest.extend(word[1..].iter().cloned());
    Some((name.to_string(), rest))
}

fn is_meta(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Appends literal text to a part list, merging with a preceding part of the same kind.
fn push_text(parts: &mut Word, text: &str, quoted: bool) {
    match (parts.last_mut(), quoted) {
        (Some(Part::Quoted(s)), true) | (Some(Part::Lit(s)), false) => s.push_str(text),
        (_, true) => parts.push(Part::Quoted(text.to_string())),
        (_, false) => parts.push(Part::Lit(text.to_string())),
    }
}

impl Parser<'_> {
    fn text(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.src[from..to]).into_owned()
    }

    /// Produces the next token.
    fn lex(&mut self) -> PResult<Tok> {
        loop {
            match self.peek_byte() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'\\') if self.src.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                Some(b'#') => {
                    while self.peek_byte().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let Some(b) = self.peek_byte() else {
            return Ok(Tok::Eof);
        };
        let rest = &self.src[self.pos..];
        let starts = |s: &str| rest.starts_with(s.as_bytes());
        if b == b'\n' {
            self.pos += 1;
            self.line += 1;
            if !self.pending_heredocs.is_empty() {
                self.read_heredoc_bodies()?;
            }
            return Ok(Tok::Newline);
        }
        for op in ["&&", "||", ";;", "&>"] {
            if starts(op) {
                self.pos += 2;
                return Ok(if op == "&>" {
                    Tok::Redir(None, "&>")
                } else {
                    Tok::Op(op)
                });
            }
        }
        match b {
            b';' | b'&' | b'|' | b'(' | b')' => {
                self.pos += 1;
                return Ok(Tok::Op(match b {
                    b';' => ";",
                    b'&' => "&",
                    b'|' => "|",
                    b'(' => "(",
                    _ => ")",
                }));
            }
            _ => {}
        }
        // A redirection, possibly with a leading fd number.
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let after = &rest[digits..];
        if digits <= 2 && (after.first() == Some(&b'<') || after.first() == Some(&b'>')) {
            let fd = if digits == 0 {
                None
            } else {
                self.text(self.pos, self.pos + digits).parse().ok()
            };
            let op = ["<<-", "<<", ">>", ">&", "<&", ">|", ">", "<"]
                .into_iter()
                .find(|op| after.starts_with(op.as_bytes()))
                .unwrap_or(">");
            self.pos += digits + op.len();
            return Ok(Tok::Redir(fd, op));
        }
        let start = self.pos;
        let word = self.word()?;
        Ok(Tok::Word(word, self.text(start, self.pos)))
    }

    fn word(&mut self) -> PResult<Word> {
        let mut parts = Word::new();
        while let Some(b) = self.peek_byte() {
            match b {
                _ if is_meta(b) => break,
                b'\\' => {
                    self.pos += 1;
                    match self.peek_byte() {
                        Some(b'\n') => {
                            self.pos += 1;
                            self.line += 1;
                        }
                        Some(_) => {
                            let ch = self.take_char();
                            push_text(&mut parts, &ch, true);
                        }
                        None => {}
                    }
                }
                b'\'' => {
                    self.pos += 1;
                    let start = self.pos;
                    while self.peek_byte().is_some_and(|b| b != b'\'') {
                        if self.peek_byte() == Some(b'\n') {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                    if self.peek_byte().is_none() {
                        return Err(self.err(SyntaxErrorKind::UnterminatedQuote));
                    }
                    let text = self.text(start, self.pos);
                    self.pos += 1;
                    push_text(&mut parts, &text, true);
                    if text.is_empty() {
                        parts.push(Part::Quoted(String::new()));
                    }
                }
                b'"' => {
                    self.pos += 1;
                    let before = parts.len();
                    self.dquote(&mut parts, Some(b'"'))?;
                    if parts.len() == before {
                        parts.push(Part::Quoted(String::new()));
                    }
                }
                b'$' => self.dollar(&mut parts, false)?,
                b'`' => self.backquote(&mut parts, false)?,
                _ => {
                    let ch = self.take_char();
                    push_text(&mut parts, &ch, false);
                }
            }
        }
        Ok(parts)
    }

    fn take_char(&mut self) -> String {
        let rest = &self.src[self.pos..];
        let len = match rest.first() {
            Some(b) if *b < 0x80 => 1,
            Some(b) if *b >= 0xF0 => 4,
            Some(b) if *b >= 0xE0 => 3,
            Some(_) => 2,
            None => 0,
        }
        .min(rest.len());
        let ch = String::from_utf8_lossy(&rest[..len]).into_owned();
        self.pos += len.max(1).min(rest.len().max(1));
        ch
    }

    /// Double-quoted content up to `terminator` (None: to the end of input, for here-documents).
    fn dquote(&mut self, parts: &mut Word, terminator: Option<u8>) -> PResult<()> {
        loop {
            let Some(b) = self.peek_byte() else {
                return if terminator.is_some() {
                    Err(self.err(SyntaxErrorKind::UnterminatedQuote))
                } else {
                    Ok(())
                };
            };
            if Some(b) == terminator {
                self.pos += 1;
                return Ok(());
            }
            match b {
                b'\\' => {
                    let next = self.src.get(self.pos + 1).copied();
                    match next {
                        Some(b'$' | b'`' | b'"' | b'\\')
                            if terminator.is_some() || next != Some(b'"') =>
                        {
                            self.pos += 1;
                            let ch = self.take_char();
                            push_text(parts, &ch, true);
                        }
                        Some(b'\n') => {
                            self.pos += 2;
                            self.line += 1;
                        }
                        _ => {
                            self.pos += 1;
                            push_text(parts, "\\", true);
                        }
                    }
                }
                b'$' => self.dollar(parts, true)?,
                b'`' => self.backquote(parts, true)?,
                _ => {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    let ch = self.take_char();
                    push_text(parts, &ch, true);
                }
            }
        }
    }

    fn dollar(&mut self, parts: &mut Word, quoted: bool) -> PResult<()> {
        self.pos += 1; // '$'
        match self.peek_byte() {
            Some(b'(') if self.src.get(self.pos + 1) == Some(&b'(') => {
                self.enter()?;
                self.pos += 2;
                let start = self.pos;
                let mut depth = 0usize;
                loop {
                    match self.peek_byte() {
                        None => {
                            return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                                expecting: Some("))".into()),
                            }));
                        }
                        Some(b'(') => depth += 1,
                        Some(b')') if depth == 0 => {
                            if self.src.get(self.pos + 1) == Some(&b')') {
                                break;
                            }
                            return Err(self.err(SyntaxErrorKind::Unexpected(")".into())));
                        }
                        Some(b')') => depth -= 1,
                        Some(b'\n') => self.line += 1,
                        _ => {}
                    }
                    self.pos += 1;
                }
                let inner = self.text(start, self.pos);
                self.pos += 2;
                let mut sub = Parser::new(&inner, self.depth);
                let mut expr = Word::new();
                sub.dquote(&mut expr, None)?;
                parts.push(Part::Arith { expr, quoted });
                self.leave();
            }
            Some(b'(') => {
                self.enter()?;
                self.pos += 1;
                let saved = self.peeked.take();
                let pending = std::mem::take(&mut self.pending_heredocs);
                let list = self.list(&[])?;
                match self.next()? {
                    Tok::Op(")") => {}
                    Tok::Eof => {
                        return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                            expecting: Some(")".into()),
                        }));
                    }
                    other => return Err(self.unexpected(&other)),
                }
                self.peeked = saved;
                self.pending_heredocs = pending;
                parts.push(Part::Subst {
                    body: Box::new(list),
                    quoted,
                });
                self.leave();
            }
            Some(b'{') => {
                self.enter()?;
                self.pos += 1;
                let part = self.braced_param(quoted)?;
                parts.push(part);
                self.leave();
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let start = self.pos;
                while self.peek_byte().is_some_and(is_name_byte) {
                    self.pos += 1;
                }
                parts.push(Part::Param {
                    name: self.text(start, self.pos),
                    op: None,
                    quoted,
                });
            }
            Some(b) if b.is_ascii_digit() || b"?$!#@*-".contains(&b) => {
                self.pos += 1;
                parts.push(Part::Param {
                    name: (b as char).to_string(),
                    op: None,
                    quoted,
                });
            }
            _ => push_text(parts, "$", quoted),
        }
        Ok(())
    }

    fn braced_param(&mut self, quoted: bool) -> PResult<Part> {
        let start = self.pos;
        let bad = |p: &Self| {
            let end = p.src[start..]
                .iter()
                .position(|&b| b == b'}')
                .map_or(p.src.len(), |i| start + i);
            p.err(SyntaxErrorKind::BadSubstitution(format!(
                "${{{}}}",
                p.text(start, end)
            )))
        };
        let length = self.peek_byte() == Some(b'#')
            && self.src.get(self.pos + 1).is_some_and(|b| *b != b'}');
        if length {
            self.pos += 1;
        }
        let name_start = self.pos;
        match self.peek_byte() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                while self.peek_byte().is_some_and(is_name_byte) {
                    self.pos += 1;
                }
            }
            Some(b) if b.is_ascii_digit() => {
                while self.peek_byte().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            Some(b) if b"?$!#@*-".contains(&b) => self.pos += 1,
            None => {
                return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                    expecting: Some("}".into()),
                }));
            }
            _ => return Err(bad(self)),
        }
        let name = self.text(name_start, self.pos);
        if length {
            if self.peek_byte() != Some(b'}') {
                return Err(bad(self));
            }
            self.pos += 1;
            return Ok(Part::Param {
                name,
                op: Some((ParamOp::Length, Vec::new())),
                quoted,
            });
        }
        let rest = &self.src[self.pos..];
        let (op, len) = if rest.starts_with(b"}") {
            self.pos += 1;
            return Ok(Part::Param {
                name,
                op: None,
                quoted,
            });
        } else if rest.starts_with(b":-") {
            (ParamOp::Default { colon: true }, 2)
        } else if rest.starts_with(b":=") {
            (ParamOp::Assign { colon: true }, 2)
        } else if rest.starts_with(b":+") {
            (ParamOp::Alternative { colon: true }, 2)
        } else if rest.starts_with(b":?") {
            (ParamOp::Error { colon: true }, 2)
        } else if rest.starts_with(b"##") {
            (ParamOp::RemovePrefix { longest: true }, 2)
        } else if rest.starts_with(b"%%") {
            (ParamOp::RemoveSuffix { longest: true }, 2)
        } else {
            match rest.first() {
                Some(b'-') => (ParamOp::Default { colon: false }, 1),
                Some(b'=') => (ParamOp::Assign { colon: false }, 1),
                Some(b'+') => (ParamOp::Alternative { colon: false }, 1),
                Some(b'?') => (ParamOp::Error { colon: false }, 1),
                Some(b'#') => (ParamOp::RemovePrefix { longest: false }, 1),
                Some(b'%') => (ParamOp::RemoveSuffix { longest: false }, 1),
                None => {
                    return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                        expecting: Some("}".into()),
                    }));
                }
                _ => return Err(bad(self)),
            }
        };
        self.pos += len;
        // The operand: like a double-quoted string when the whole thing is quoted, else a word
        // that may contain quotes, up to the matching '}'.
        let mut operand = Word::new();
        loop {
            match self.peek_byte() {
                None => {
                    return Err(self.err(SyntaxErrorKind::UnexpectedEof {
                        expecting: Some("}".into()),
                    }));
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b'$') => self.dollar(&mut operand, quoted)?,
                Some(b'`') => self.backquote(&mut operand, quoted)?,
                Some(b'\'') if !quoted => {
                    self.pos += 1;
                    let start = self.pos;
                    while self.peek_byte().is_some_and(|b| b != b'\'') {
                        self.pos += 1;
                    }
                    if self.peek_byte().is_none() {
                        return Err(self.err(SyntaxErrorKind::UnterminatedQuote));
                    }
                    let text = self.text(start, self.pos);
                    self.pos += 1;
                    push_text(&mut operand, &text, true);
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.dquote(&mut operand, Some(b'"'))?;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    if self.peek_byte().is_some() {
                        let ch = self.take_char();
                        push_text(&mut operand, &ch, true);
                    }
                }
                Some(_) => {
                    let ch = self.take_char();
                    push_text(&mut operand, &ch, quoted);
                }
            }
        }
        Ok(Part::Param {
            name,
            op: Some((op, operand)),
            quoted,
        })
    }

    fn backquote(&mut self, parts: &mut Word, quoted: bool) -> PResult<()> {
        self.pos += 1;
        let mut inner = String::new();
        loop {
            match self.peek_byte() {
                None => return Err(self.err(SyntaxErrorKind::UnterminatedQuote)),
                Some(b'`') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\')
                    if self
                        .src
                        .get(self.pos + 1)
                        .is_some_and(|b| b"$`\\".contains(b)) =>
                {
                    self.pos += 1;
                    inner.push_str(&self.take_char());
                }
                Some(b) => {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    inner.push_str(&self.take_char());
                }
            }
        }
        self.enter()?;
        let parsed = parse_at_depth(&inner, self.depth)?;
        self.leave();
        parts.push(Part::Subst {
            body: Box::new(parsed.list),
            quoted,
        });
        Ok(())
    }

    /// Reads the bodies of pending here-documents starting at the current position (just after a
    /// newline) and moves past them.
    fn read_heredoc_bodies(&mut self) -> PResult<()> {
        let pending = std::mem::take(&mut self.pending_heredocs);
        for (delimiter, strip_tabs, quoted) in pending {
            let mut body = String::new();
            while self.pos < self.src.len() {
                let end = self.src[self.pos..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.src.len(), |i| self.pos + i);
                let raw = self.text(self.pos, end);
                self.pos = (end + 1).min(self.src.len());
                self.line += 1;
                let line = if strip_tabs {
                    raw.trim_start_matches('\t')
                } else {
                    raw.as_str()
                };
                if line == delimiter {
                    break;
                }
                body.push_str(line);
                body.push('\n');
            }
            let word = if quoted {
                vec![Part::Quoted(body)]
            } else {
                let mut sub = Parser::new(&body, self.depth);
                let mut word = Word::new();
                sub.dquote(&mut word, None)?;
                word
            };
            self.heredocs.push(word);
        }
        Ok(())
    }
}
