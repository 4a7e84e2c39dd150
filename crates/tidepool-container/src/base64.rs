//! `base64`: the RFC 4648 codec and the command's options and error texts, as GNU coreutils
//! (node shells, Debian images) and BusyBox (busybox and Alpine images) print them. Secrets'
//! `data` values are base64, and `... -o jsonpath='{.data.pw}' | base64 -d` is how learners
//! read them, on the node and in a pod.

/// Which program's options and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor<'a> {
    Gnu,
    /// BusyBox of this version (its usage banner names it).
    Busybox(&'a str),
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub decode: bool,
    pub ignore_garbage: bool,
    /// Columns per output line; 0 does not wrap.
    pub wrap: usize,
    /// The one input file; `None` or `-` reads standard input.
    pub file: Option<String>,
}

/// RFC 4648 base64 with padding.
pub fn encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes as GNU base64 does: newlines are skipped (with `ignore_garbage`, anything outside
/// the alphabet), padded groups may follow one another, and decoding stops at the first bad
/// group, keeping what came before (and the whole bytes of a short last group). The flag is
/// false when the input was not valid.
pub fn decode(input: &str, ignore_garbage: bool) -> (Vec<u8>, bool) {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let chars: Vec<u8> = input
        .bytes()
        .filter(|&c| c != b'\n' && (!ignore_garbage || c == b'=' || value(c).is_some()))
        .collect();
    let mut out = Vec::with_capacity(chars.len() / 4 * 3);
    for group in chars.chunks(4) {
        let padding = group.iter().rev().take_while(|&&c| c == b'=').count();
        let data = &group[..group.len() - padding];
        let Some(values) = data.iter().map(|&c| value(c)).collect::<Option<Vec<u32>>>() else {
            return (out, false);
        };
        if values.len() < 2 || (padding > 0 && group.len() < 4) {
            return (out, false);
        }
        let n = values
            .iter()
            .chain(std::iter::repeat(&0))
            .take(4)
            .fold(0u32, |acc, v| (acc << 6) | v);
        let whole = values.len() - 1;
        out.extend_from_slice(&n.to_be_bytes()[1..=whole]);
        if group.len() < 4 || padding > 2 {
            return (out, false);
        }
    }
    (out, true)
}

/// Parses `base64 [-d] [-i] [-w COLS] [FILE]` (BusyBox: no `-i`, no long options). `Err` is
/// the standard error text of a usage error (exit status 1).
pub fn parse(flavor: Flavor<'_>, args: &[String]) -> Result<Options, String> {
    let gnu = flavor == Flavor::Gnu;
    let usage = |first: String| match flavor {
        Flavor::Gnu => format!("{first}Try 'base64 --help' for more information.\n"),
        Flavor::Busybox(version) => format!(
            "{first}BusyBox v{version} multi-call binary.\n\nUsage: base64 [-d] [-w COL] [FILE]\n\n\
             Base64 encode or decode FILE to standard output\n\n\t-d\tDecode data\n\
             \t-w COL\tWrap lines at COL (default 76, 0 disables)\n"
        ),
    };
    let wrap_value = |value: Option<&str>| -> Result<usize, String> {
        let Some(value) = value else {
            return Err(usage("base64: option requires an argument -- 'w'\n".into()));
        };
        value.parse().map_err(|_| {
            if gnu {
                format!("base64: invalid wrap size: ‘{value}’\n")
            } else {
                format!("base64: invalid number '{value}'\n")
            }
        })
    };
    let mut options = Options {
        decode: false,
        ignore_garbage: false,
        wrap: 76,
        file: None,
    };
    let mut files: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        match arg {
            "--decode" if gnu => options.decode = true,
            "--ignore-garbage" if gnu => options.ignore_garbage = true,
            "--wrap" if gnu => {
                i += 1;
                options.wrap = wrap_value(args.get(i).map(String::as_str))?;
            }
            "-" => files.push(arg),
            long if gnu && long.starts_with("--wrap=") => {
                options.wrap = wrap_value(Some(&long["--wrap=".len()..]))?;
            }
            long if gnu && long.starts_with("--") => {
                return Err(usage(format!("base64: unrecognized option '{long}'\n")));
            }
            short if short.starts_with('-') => {
                let mut chars = short[1..].chars();
                while let Some(c) = chars.next() {
                    match c {
                        'd' => options.decode = true,
                        'i' if gnu => options.ignore_garbage = true,
                        'w' => {
                            let attached: String = chars.by_ref().collect();
                            options.wrap = if attached.is_empty() {
                                i += 1;
                                wrap_value(args.get(i).map(String::as_str))?
                            } else {
                                wrap_value(Some(&attached))?
                            };
                        }
                        other => {
                            return Err(usage(format!("base64: invalid option -- '{other}'\n")));
                        }
                    }
                }
            }
            _ => files.push(arg),
        }
        i += 1;
    }
    if let Some(extra) = files.get(1) {
        return Err(match flavor {
            Flavor::Gnu => usage(format!("base64: extra operand ‘{extra}’\n")),
            Flavor::Busybox(_) => usage(String::new()),
        });
    }
    options.file = files.first().map(|f| (*f).to_owned());
    Ok(options)
}

/// Encodes or decodes `input`: standard output, and `Some(error text)` (exit status 1) for
/// input that does not decode (what decoded before the bad group is still printed).
pub fn run(options: &Options, input: &str) -> (String, Option<&'static str>) {
    if !options.decode {
        let encoded = encode(input.as_bytes());
        let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 + 1);
        if options.wrap == 0 {
            out.push_str(&encoded);
        } else {
            for (n, c) in encoded.chars().enumerate() {
                if n > 0 && n % options.wrap == 0 {
                    out.push('\n');
                }
                out.push(c);
            }
            // Wrapped output ends with a newline; `-w 0` prints none.
            if !out.is_empty() {
                out.push('\n');
            }
        }
        return (out, None);
    }
    let (bytes, valid) = decode(input, options.ignore_garbage);
    let out = String::from_utf8_lossy(&bytes).into_owned();
    (out, (!valid).then_some("base64: invalid input\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn encode_matches_rfc4648() {
        assert_eq!(encode(b"pw"), "cHc=");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"f"), "Zg==");
        assert_eq!(encode(b""), "");
    }

    #[test]
    fn decode_round_trips_and_flags_bad_input() {
        assert_eq!(decode("Zm9v\nYmFy\n", false), (b"foobar".to_vec(), true));
        assert_eq!(decode("Zm9v!!!!", false), (b"foo".to_vec(), false));
        assert_eq!(decode("Zm9v!YmFy", true), (b"foobar".to_vec(), true));
    }

    #[test]
    fn wraps_at_the_given_column() {
        let options = parse(Flavor::Gnu, &args("-w 4")).unwrap();
        assert_eq!(run(&options, "foobar").0, "Zm9v\nYmFy\n");
        let options = parse(Flavor::Gnu, &args("-w0")).unwrap();
        assert_eq!(run(&options, "hi\n").0, "aGkK");
    }

    #[test]
    fn busybox_refuses_gnu_only_options_with_its_usage() {
        let error = parse(Flavor::Busybox("1.37.0"), &args("-i")).unwrap_err();
        assert!(error.starts_with("base64: invalid option -- 'i'\nBusyBox v1.37.0 multi-call"));
        let error = parse(Flavor::Busybox("1.37.0"), &args("--decode")).unwrap_err();
        assert!(
            error.starts_with("base64: invalid option -- '-'\n"),
            "{error}"
        );
        assert_eq!(
            parse(Flavor::Gnu, &args("a b")).unwrap_err(),
            "base64: extra operand ‘b’\nTry 'base64 --help' for more information.\n"
        );
    }
}
