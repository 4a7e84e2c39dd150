//! `$((...))` arithmetic: 64-bit signed integers, C precedence, variables by name, `=`/`+=`/`-=`.

use super::vm::Shell;

/// Longest expression accepted.
const MAX_EXPR: usize = 4096;
/// Deepest parenthesis/unary nesting.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    if text.len() > MAX_EXPR {
        return Err("expression too long".into());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    const OPS: [&str; 30] = [
        "<<=", ">>=", "<=", ">=", "==", "!=", "&&", "||", "<<", ">>", "+=", "-=", "*=", "/=", "%=",
        "++", "--", "+", "-", "*", "/", "%", "(", ")", "<", ">", "!", "=", "?", ":",
    ];
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let literal = &text[start..i];
            let value = if let Some(hex) = literal
                .strip_prefix("0x")
                .or_else(|| literal.strip_prefix("0X"))
            {
                i64::from_str_radix(hex, 16)
            } else if literal.len() > 1 && literal.starts_with('0') {
                i64::from_str_radix(&literal[1..], 8)
            } else {
                literal.parse()
            };
            out.push(Tok::Num(
                value.map_err(|_| format!("invalid number \"{literal}\""))?,
            ));
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(text[start..i].to_string()));
        } else if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.len();
        } else if b == b'&' || b == b'|' || b == b'^' || b == b'~' {
            out.push(Tok::Op(match b {
                b'&' => "&",
                b'|' => "|",
                b'^' => "^",
                _ => "~",
            }));
            i += 1;
        } else {
            return Err("syntax error".into());
        }
    }
    Ok(out)
}

struct Eval<'s> {
    toks: Vec<Tok>,
    pos: usize,
    shell: &'s mut Shell,
    depth: usize,
}

/// Evaluates an arithmetic expression (already parameter-expanded).
pub fn eval(text: &str, shell: &mut Shell) -> Result<i64, String> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Ok(0);
    }
    let mut e = Eval {
        toks,
        pos: 0,
        shell,
        depth: 0,
    };
    let value = e.assignment()?;
    if e.pos != e.toks.len() {
        return Err("syntax error".into());
    }
    Ok(value)
}

fn precedence(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        _ => return None,
    })
}

impl Eval<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn var_value(&self, name: &str) -> Result<i64, String> {
        let value = self.shell.var(name).unwrap_or("").trim();
        if value.is_empty() {
            return Ok(0);
        }
        value
            .parse()
            .map_err(|_| format!("invalid number \"{value}\""))
    }

    fn assignment(&mut self) -> Result<i64, String> {
        if let (Some(Tok::Name(name)), Some(Tok::Op(op))) = (
            self.toks.get(self.pos).cloned(),
            self.toks.get(self.pos + 1).cloned(),
        ) && matches!(op, "=" | "+=" | "-=" | "*=" | "/=" | "%=")
        {
            self.pos += 2;
            let rhs = self.assignment()?;
            let current = self.var_value(&name)?;
            let value = match op {
                "=" => rhs,
                "+=" => current.wrapping_add(rhs),
                "-=" => current.wrapping_sub(rhs),
                "*=" => current.wrapping_mul(rhs),
                "/=" => checked_div(current, rhs)?,
                _ => checked_rem(current, rhs)?,
            };
            self.shell.set_var(&name, &value.to_string());
            return Ok(value);
        }
        self.ternary()
    }

    fn ternary(&mut self) -> Result<i64, String> {
        let cond = self.binary(1)?;
        if self.peek() == Some(&Tok::Op("?")) {
            self.pos += 1;
            let a = self.assignment()?;
            if self.peek() != Some(&Tok::Op(":")) {
                return Err("syntax error".into());
            }
            self.pos += 1;
            let b = self.assignment()?;
            return Ok(if cond != 0 { a } else { b });
        }
        Ok(cond)
    }

    fn binary(&mut self, min: u8) -> Result<i64, String> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(op)) = self.peek().cloned() {
            let Some(prec) = precedence(op) else { break };
            if prec < min {
                break;
            }
            self.pos += 1;
            let rhs = self.binary(prec + 1)?;
            lhs = match op {
                "||" => i64::from(lhs != 0 || rhs != 0),
                "&&" => i64::from(lhs != 0 && rhs != 0),
                "|" => lhs | rhs,
                "^" => lhs ^ rhs,
                "&" => lhs & rhs,
                "==" => i64::from(lhs == rhs),
                "!=" => i64::from(lhs != rhs),
                "<" => i64::from(lhs < rhs),
                ">" => i64::from(lhs > rhs),
                "<=" => i64::from(lhs <= rhs),
                ">=" => i64::from(lhs >= rhs),
                "<<" => lhs.wrapping_shl(rhs as u32),
                ">>" => lhs.wrapping_shr(rhs as u32),
                "+" => lhs.wrapping_add(rhs),
                "-" => lhs.wrapping_sub(rhs),
                "*" => lhs.wrapping_mul(rhs),
                "/" => checked_div(lhs, rhs)?,
                _ => checked_rem(lhs, rhs)?,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err("expression nested too deeply".into());
        }
        let result = match self.peek().cloned() {
            Some(Tok::Op("-")) => {
                self.pos += 1;
                self.unary().map(i64::wrapping_neg)
            }
            Some(Tok::Op("+")) => {
                self.pos += 1;
                self.unary()
            }
            Some(Tok::Op("!")) => {
                self.pos += 1;
                self.unary().map(|v| i64::from(v == 0))
            }
            Some(Tok::Op("~")) => {
                self.pos += 1;
                self.unary().map(|v| !v)
            }
            Some(Tok::Op(op @ ("++" | "--"))) => {
                self.pos += 1;
                match self.peek().cloned() {
                    Some(Tok::Name(name)) => {
                        self.pos += 1;
                        let value = self.var_value(&name)? + if op == "++" { 1 } else { -1 };
                        self.shell.set_var(&name, &value.to_string());
                        Ok(value)
                    }
                    _ => Err("syntax error".into()),
                }
            }
            Some(Tok::Op("(")) => {
                self.pos += 1;
                let value = self.assignment()?;
                if self.peek() != Some(&Tok::Op(")")) {
                    return Err("missing ')'".into());
                }
                self.pos += 1;
                Ok(value)
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                let value = self.var_value(&name)?;
                if let Some(Tok::Op(op @ ("++" | "--"))) = self.peek().cloned() {
                    self.pos += 1;
                    let new = value + if op == "++" { 1 } else { -1 };
                    self.shell.set_var(&name, &new.to_string());
                }
                Ok(value)
            }
            _ => Err("syntax error".into()),
        };
        self.depth -= 1;
        result
    }
}

fn checked_div(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        Err("division by zero".into())
    } else {
        Ok(a.wrapping_div(b))
    }
}

fn checked_rem(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        Err("division by zero".into())
    } else {
        Ok(a.wrapping_rem(b))
    }
}
