// The editor pane's text area: CodeMirror 6 with YAML highlighting, line numbers and lint
// diagnostics. esbuild bundles this file into one classic script (web/generated/editor.js,
// see Trunk.toml) that defines the global `TidepoolEditor`; web/src/codemirror.rs binds it.
// Everything else (commands, saving, validation) lives in Rust.

import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { yaml } from "@codemirror/lang-yaml";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { oneDark } from "@codemirror/theme-one-dark";

// How long typing must pause before the host hears about the change (it validates then).
const CHANGE_DELAY_MS = 300;

// The light theme's YAML colours (One Dark brings its own for the dark theme).
const lightTheme = [
  EditorView.theme({}, { dark: false }),
  syntaxHighlighting(
    HighlightStyle.define([
      { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: "#0b5cad" },
      { tag: [tags.string, tags.content, tags.attributeValue], color: "#1a6b2f" },
      { tag: [tags.number, tags.bool, tags.null, tags.keyword], color: "#8a3ffc" },
      { tag: [tags.comment, tags.lineComment], color: "#6a737d", fontStyle: "italic" },
      { tag: [tags.meta, tags.separator, tags.punctuation], color: "#57606a" },
    ]),
  ),
];

/**
 * Creates an editor in `parent`.
 * options: { doc, dark, label, onChange(), onSave(), onEscape() }
 * onChange fires once typing pauses; onSave on Ctrl-S / Cmd-S; onEscape on Esc.
 */
export function create(parent, options) {
  const theme = new Compartment();
  let timer = null;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => options.onChange(), CHANGE_DELAY_MS);
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        theme.of(options.dark ? oneDark : lightTheme),
        EditorView.contentAttributes.of({ "aria-label": options.label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) changed();
        }),
        // Above the default keymap, which would take Mod-s for nothing.
        Prec.highest(keymap.of([{ key: "Mod-s", preventDefault: true, run: () => { options.onSave(); return true; } }])),
        // After basicSetup: closing an open search panel or completion list comes first.
        keymap.of([{ key: "Escape", run: () => { options.onEscape(); return true; } }]),
      ],
    }),
  });
  return {
    text: () => view.state.doc.toString(),
    focus: () => view.focus(),
    setDark: (dark) => view.dispatch({ effects: theme.reconfigure(dark ? oneDark : lightTheme) }),
    /** diagnostics: [{ line (1-based), message }]; lines past the end go to the last line. */
    setDiagnostics: (diagnostics) => {
      const doc = view.state.doc;
      const marks = diagnostics.map(({ line, message }) => {
        const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
        return { from: at.from, to: at.to, severity: "error", source: "tidepool", message };
      });
      view.dispatch(setDiagnostics(view.state, marks));
    },
    destroy: () => {
      clearTimeout(timer);
      view.destroy();
    },
  };
}
