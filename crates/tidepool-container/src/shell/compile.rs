//! Compiler: AST to a flat instruction list the VM can stop and resume anywhere.
//!
//! Control flow becomes jumps; command substitutions, pipeline stages, subshells and function
//! bodies become blocks the VM enters as frames, so a `sleep` inside any of them suspends the
//! whole process with its state in data, not on the Rust stack.

use serde::{Deserialize, Serialize};

use super::parse::{AndOr, Command, List, Parsed, Part, Pipeline, Redir, RedirOp, Simple, Word};

/// One VM instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Instr {
    /// Expand and run simple command `n` of [`Program::simples`].
    Simple(u32),
    /// Run simple command `n` in the background (`cmd &`).
    Background(u32),
    /// Run the block at `start` in a subshell frame, capturing its stdout into `slot`.
    Subst {
        /// Block start.
        start: u32,
        /// Slot the output goes to.
        slot: u16,
    },
    /// Run the blocks as pipeline stages, each one's output the next one's input.
    Pipe {
        /// Block starts, one per stage.
        stages: Vec<u32>,
    },
    /// Run the block at `start` in a subshell frame (`( ... )`).
    Subshell {
        /// Block start.
        start: u32,
    },
    /// Unconditional jump.
    Jump(u32),
    /// Jump when `$?` is non-zero.
    JumpIfFail(u32),
    /// Jump when `$?` is zero.
    JumpIfOk(u32),
    /// `$? = !$?` (`! pipeline`).
    Not,
    /// Start a `for` loop: expand the words (None: `"$@"`) and push the loop state.
    ForInit {
        /// Loop variable.
        var: String,
        /// The words.
        words: Option<Vec<Word>>,
    },
    /// Assign the next value and fall through, or pop the loop and jump to `exit`.
    ForNext {
        /// Where the loop ends.
        exit: u32,
    },
    /// Pop `n` for-loop states (break/continue out of for loops).
    PopFor(u32),
    /// `case`: jump to the first arm whose pattern matches, else to `end`.
    Case {
        /// The subject.
        word: Word,
        /// (patterns, arm start).
        arms: Vec<(Vec<Word>, u32)>,
        /// After the case.
        end: u32,
    },
    /// Apply redirections for a compound command (until `Unredirect`).
    Redirect(Vec<Redir>),
    /// Undo the last `Redirect`.
    Unredirect,
    /// Define a function whose body block starts at `start`.
    DefineFunction {
        /// Name.
        name: String,
        /// Body block start.
        start: u32,
    },
    /// Set `$?` (an empty block, `break` outside loops).
    SetStatus(i32),
    /// End of a block: return from the frame.
    Return,
    /// End of the program.
    End,
}

/// A compiled script.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Instructions; execution starts at 0.
    pub code: Vec<Instr>,
    /// Simple commands referenced by `Simple`/`Background`.
    pub simples: Vec<Simple>,
    /// Here-document bodies referenced by `HereDoc` redirections.
    pub heredocs: Vec<Word>,
    /// Number of substitution slots a simple command needs at most.
    pub slots: u16,
}

struct Loop {
    continue_target: u32,
    break_patches: Vec<usize>,
    is_for: bool,
}

struct Compiler {
    program: Program,
    loops: Vec<Loop>,
    next_slot: u16,
}

/// Compiles a parsed script.
pub fn compile(parsed: Parsed) -> Program {
    let mut compiler = Compiler {
        program: Program {
            heredocs: parsed.heredocs,
            ..Program::default()
        },
        loops: Vec::new(),
        next_slot: 0,
    };
    compiler.list(&parsed.list);
    compiler.emit(Instr::End);
    compiler.program
}

impl Compiler {
    fn here(&self) -> u32 {
        self.program.code.len() as u32
    }

    fn emit(&mut self, instr: Instr) -> usize {
        self.program.code.push(instr);
        self.program.code.len() - 1
    }

    fn patch(&mut self, at: usize, target: u32) {
        match &mut self.program.code[at] {
            Instr::Jump(t) | Instr::JumpIfFail(t) | Instr::JumpIfOk(t) => *t = target,
            Instr::ForNext { exit } => *exit = target,
            Instr::Case { end, .. } => *end = target,
            _ => {}
        }
    }

    fn list(&mut self, list: &List) {
        if list.is_empty() {
            self.emit(Instr::SetStatus(0));
        }
        for (and_or, background) in list {
            if *background {
                self.background(and_or);
            } else {
                self.and_or(and_or);
            }
        }
    }

    fn background(&mut self, and_or: &AndOr) {
        // Only a lone simple command runs as a job; anything else runs in the foreground
        // (documented limitation).
        if and_or.rest.is_empty()
            && !and_or.first.negate
            && and_or.first.commands.len() == 1
            && let Command::Simple(simple) = &and_or.first.commands[0]
        {
            let simple = self.simple_with_slots(simple);
            let index = self.program.simples.len() as u32;
            self.program.simples.push(simple);
            self.emit(Instr::Background(index));
            return;
        }
        self.and_or(and_or);
    }

    fn and_or(&mut self, and_or: &AndOr) {
        // `a && b || c`: a failing `a` skips only `b`; the `||` test that follows still sees
        // the failure and runs `c`. So each jump lands just after the pipeline it skips.
        self.pipeline(&and_or.first);
        for (and, pipeline) in &and_or.rest {
            let at = self.emit(if *and {
                Instr::JumpIfFail(0)
            } else {
                Instr::JumpIfOk(0)
            });
            self.pipeline(pipeline);
            let after = self.here();
            self.patch(at, after);
        }
    }

    fn pipeline(&mut self, pipeline: &Pipeline) {
        if pipeline.commands.len() == 1 {
            self.command(&pipeline.commands[0]);
        } else {
            let skip = self.emit(Instr::Jump(0));
            let mut stages = Vec::new();
            for command in &pipeline.commands {
                stages.push(self.block(|c| c.command(command)));
            }
            let after = self.here();
            self.patch(skip, after);
            self.emit(Instr::Pipe { stages });
        }
        if pipeline.negate {
            self.emit(Instr::Not);
        }
    }

    /// Emits a block ending in `Return` and returns its start. Loops do not cross blocks.
    fn block(&mut self, body: impl FnOnce(&mut Compiler)) -> u32 {
        let start = self.here();
        let saved_loops = std::mem::take(&mut self.loops);
        body(self);
        self.loops = saved_loops;
        self.emit(Instr::Return);
        start
    }

    fn command(&mut self, command: &Command) {
        match command {
            Command::Simple(simple) => self.simple(simple),
            Command::If {
                branches,
                otherwise,
            } => {
                let mut end_patches = Vec::new();
                for (cond, body) in branches {
                    self.list(cond);
                    let next = self.emit(Instr::JumpIfFail(0));
                    self.list(body);
                    end_patches.push(self.emit(Instr::Jump(0)));
                    let here = self.here();
                    self.patch(next, here);
                }
                match otherwise {
                    Some(body) => self.list(body),
                    // `if false; then ...; fi` leaves $? = 0.
                    None => {
                        self.emit(Instr::SetStatus(0));
                    }
                }
                let end = self.here();
                for at in end_patches {
                    self.patch(at, end);
                }
            }
            Command::Loop { until, cond, body } => {
                let top = self.here();
                self.list(cond);
                let exit = self.emit(if *until {
                    Instr::JumpIfOk(0)
                } else {
                    Instr::JumpIfFail(0)
                });
                self.loops.push(Loop {
                    continue_target: top,
                    break_patches: Vec::new(),
                    is_for: false,
                });
                self.list(body);
                self.emit(Instr::Jump(top));
                let end = self.here();
                self.patch(exit, end);
                // POSIX: the loop's status is the last body status, 0 if the body never ran; the
                // condition's failure does not leak. (Approximation: always 0 on normal exit.)
                self.emit(Instr::SetStatus(0));
                let done = self.here();
                if let Some(l) = self.loops.pop() {
                    for at in l.break_patches {
                        self.patch(at, done);
                    }
                }
            }
            Command::For { var, words, body } => {
                let words = words.as_ref().map(|w| self.words_slotted(w));
                self.emit(Instr::ForInit {
                    var: var.clone(),
                    words,
                });
                let top = self.emit(Instr::ForNext { exit: 0 });
                self.loops.push(Loop {
                    continue_target: top as u32,
                    break_patches: Vec::new(),
                    is_for: true,
                });
                self.list(body);
                self.emit(Instr::Jump(top as u32));
                let end = self.here();
                self.patch(top, end);
                if let Some(l) = self.loops.pop() {
                    // A break already popped the loop state before jumping here.
                    for at in l.break_patches {
                        self.patch(at, end);
                    }
                }
            }
            Command::Case { word, arms } => {
                // Subject and patterns share one slot space, expanded before the Case runs.
                self.next_slot = 0;
                let mut word = word.clone();
                self.word_slots(&mut word);
                let slotted: Vec<Vec<Word>> = arms
                    .iter()
                    .map(|(patterns, _)| {
                        patterns
                            .iter()
                            .map(|p| {
                                let mut p = p.clone();
                                self.word_slots(&mut p);
                                p
                            })
                            .collect()
                    })
                    .collect();
                let at = self.emit(Instr::Case {
                    word,
                    arms: Vec::new(),
                    end: 0,
                });
                let mut compiled_arms = Vec::new();
                let mut end_patches = Vec::new();
                for ((_, body), patterns) in arms.iter().zip(slotted) {
                    compiled_arms.push((patterns, self.here()));
                    self.list(body);
                    end_patches.push(self.emit(Instr::Jump(0)));
                }
                let end = self.here();
                for p in end_patches {
                    self.patch(p, end);
                }
                if let Instr::Case { arms, end: e, .. } = &mut self.program.code[at] {
                    *arms = compiled_arms;
                    *e = end;
                }
            }
            Command::Group(list) => self.list(list),
            Command::Subshell(list) => {
                let skip = self.emit(Instr::Jump(0));
                let start = self.block(|c| c.list(list));
                let here = self.here();
                self.patch(skip, here);
                self.emit(Instr::Subshell { start });
            }
            Command::FuncDef { name, body } => {
                let skip = self.emit(Instr::Jump(0));
                let start = self.block(|c| c.command(body));
                let here = self.here();
                self.patch(skip, here);
                self.emit(Instr::DefineFunction {
                    name: name.clone(),
                    start,
                });
            }
            Command::Redirected(inner, redirs) => {
                self.next_slot = 0;
                let mut redirs = redirs.clone();
                for redir in &mut redirs {
                    if redir.op != RedirOp::HereDoc {
                        self.word_slots(&mut redir.target);
                    }
                }
                self.emit(Instr::Redirect(redirs));
                self.command(inner);
                self.emit(Instr::Unredirect);
            }
        }
    }

    /// `break`/`continue` with a literal count compile to jumps; anything else is a command.
    fn loop_control(&mut self, simple: &Simple) -> bool {
        let Some(first) = simple.words.first() else {
            return false;
        };
        let name = match first.as_slice() {
            [Part::Lit(s)] => s.as_str(),
            _ => return false,
        };
        if name != "break" && name != "continue" {
            return false;
        }
        let levels = match simple.words.get(1).map(Vec::as_slice) {
            None => 1,
            Some([Part::Lit(n)]) => n.parse::<usize>().unwrap_or(1).max(1),
            Some(_) => 1,
        };
        if self.loops.is_empty() {
            self.emit(Instr::SetStatus(0));
            return true;
        }
        let levels = levels.min(self.loops.len());
        let target_index = self.loops.len() - levels;
        let is_break = name == "break";
        // for-loop states to pop: every for loop strictly inside the target, plus the target
        // itself on break.
        let inner_fors = self.loops[target_index + 1..]
            .iter()
            .filter(|l| l.is_for)
            .count() as u32;
        let target_is_for = self.loops[target_index].is_for;
        let pops = inner_fors + u32::from(is_break && target_is_for);
        if pops > 0 {
            self.emit(Instr::PopFor(pops));
        }
        if is_break {
            let at = self.emit(Instr::Jump(0));
            self.loops[target_index].break_patches.push(at);
        } else {
            let target = self.loops[target_index].continue_target;
            self.emit(Instr::Jump(target));
        }
        true
    }

    fn simple(&mut self, simple: &Simple) {
        if self.loop_control(simple) {
            return;
        }
        let simple = self.simple_with_slots(simple);
        let index = self.program.simples.len() as u32;
        self.program.simples.push(simple);
        self.emit(Instr::Simple(index));
    }

    /// Emits `Subst` instructions for every substitution in the command and returns the command
    /// with `Slot` parts in their place.
    fn simple_with_slots(&mut self, simple: &Simple) -> Simple {
        self.next_slot = 0;
        let mut out = simple.clone();
        for (_, value) in &mut out.assigns {
            self.word_slots(value);
        }
        for word in &mut out.words {
            self.word_slots(word);
        }
        for redir in &mut out.redirs {
            if redir.op != RedirOp::HereDoc {
                self.word_slots(&mut redir.target);
            }
        }
        out
    }

    /// Words expanded by one instruction (for-loop lists), with their substitutions slotted.
    fn words_slotted(&mut self, words: &[Word]) -> Vec<Word> {
        self.next_slot = 0;
        words
            .iter()
            .map(|w| {
                let mut w = w.clone();
                self.word_slots(&mut w);
                w
            })
            .collect()
    }

    fn word_slots(&mut self, word: &mut Word) {
        for part in word.iter_mut() {
            match part {
                Part::Subst { body, quoted } => {
                    let body = std::mem::take(body.as_mut());
                    let quoted = *quoted;
                    let saved_slot = self.next_slot;
                    let skip = self.emit(Instr::Jump(0));
                    let start = self.block(|c| c.list(&body));
                    let here = self.here();
                    self.patch(skip, here);
                    self.next_slot = saved_slot;
                    let slot = self.next_slot;
                    self.next_slot += 1;
                    self.program.slots = self.program.slots.max(self.next_slot);
                    self.emit(Instr::Subst { start, slot });
                    *part = Part::Slot { slot, quoted };
                }
                Part::Param {
                    op: Some((_, operand)),
                    ..
                } => self.word_slots(operand),
                Part::Arith { expr, .. } => self.word_slots(expr),
                _ => {}
            }
        }
    }
}
