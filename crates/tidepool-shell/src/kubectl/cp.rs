//! `kubectl cp`: copies files between this host's filesystem and a container's, as kubectl's
//! `cp.go` does through a `tar` it execs in the container. From a pod, the file or tree at
//! the path lands at the destination (tar's notes go to stdout, where kubectl sends them);
//! into a pod, an existing directory receives the source under its base name. Images
//! without a shell have no `tar`, and fail as they do for `kubectl exec`.

use super::json::s;
use super::{KResult, f, namespace, parse_flags};
use crate::Session;
use crate::exec::Res;
use tidepool_container::fs::FileKind;
use tidepool_container::image::Toolbox;
use tidepool_container::{FsError, Image, MountedFs};
use tidepool_core::{ExecError, Kind};

/// `[[namespace/]pod:]file/path`, as kubectl's `extractFileSpec` splits it.
struct FileSpec {
    namespace: Option<String>,
    pod: Option<String>,
    file: String,
}

fn file_spec(arg: &str) -> Result<FileSpec, String> {
    const FORMAT: &str =
        "error: filespec must match the canonical format: [[namespace/]pod:]file/path\n";
    match arg.find(':') {
        Some(0) => Err(FORMAT.to_owned()),
        None => Ok(FileSpec {
            namespace: None,
            pod: None,
            file: arg.to_owned(),
        }),
        Some(i) => {
            let (pod, file) = (&arg[..i], &arg[i + 1..]);
            let pieces: Vec<&str> = pod.split('/').collect();
            let (namespace, pod) = match pieces.as_slice() {
                [pod] => (None, *pod),
                [ns, pod] => (Some((*ns).to_owned()), *pod),
                _ => return Err(FORMAT.to_owned()),
            };
            Ok(FileSpec {
                namespace,
                pod: Some(pod.to_owned()),
                file: file.to_owned(),
            })
        }
    }
}

pub fn cp(session: &mut Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("container", Some('c'), true),
            f("no-preserve", None, false),
            f("retries", None, true),
        ],
        "cp",
    )?;
    let [src, dest] = flags.args.as_slice() else {
        return Err("error: source and destination are required\n".to_owned());
    };
    let (src, dest) = (file_spec(src)?, file_spec(dest)?);
    if src.pod.is_some() && dest.pod.is_some() {
        return Err("error: one of src or dest must be a local file specification\n".to_owned());
    }
    if src.file.is_empty() || dest.file.is_empty() {
        return Err("error: filepath can not be empty\n".to_owned());
    }
    let default_ns = namespace(session, &flags);
    let container = flags.get("container");
    match (&src.pod, &dest.pod) {
        (Some(pod), None) => {
            let ns = src.namespace.clone().unwrap_or(default_ns);
            from_pod(session, &ns, pod, container, &src.file, &dest.file)
        }
        (None, Some(pod)) => {
            let ns = dest.namespace.clone().unwrap_or(default_ns);
            to_pod(session, &ns, pod, container, &src.file, &dest.file)
        }
        _ => Err("error: one of src or dest must be a remote file specification\n".to_owned()),
    }
}

/// What kubectl's exec does before the command runs: the pod, the permission, its phase and
/// the container. `Err` is the whole command's output.
fn open_container(
    session: &Session,
    ns: &str,
    pod: &str,
    requested: Option<&str>,
    res: &mut Res,
) -> Result<String, String> {
    super::check(session, "get", Kind::Pod, ns, pod)?;
    let object = session
        .sim
        .api()
        .get(Kind::Pod, ns, pod)
        .map_err(|e| super::api_error(&e, None))?;
    session
        .sim
        .api()
        .authorize_subresource("create", Kind::Pod, ns, pod, "exec")
        .map_err(|e| super::api_error(&e, None))?;
    let object = object.to_json();
    let phase = s(&object, "/status/phase");
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(format!(
            "error: cannot exec into a container in a completed pod; current phase is {phase}\n"
        ));
    }
    Ok(super::exec::pick_container(&object, requested, false, res))
}

/// The `tar` kubectl would exec, where the image has none: the runtime's error, as
/// `kubectl exec` shows it.
fn no_tar(session: &mut Session, ns: &str, pod: &str, container: &str, res: Res) -> Res {
    let argv = ["tar".to_owned(), "cf".to_owned(), "-".to_owned()];
    match session.sim.exec_in_container(ns, pod, container, &argv) {
        Err(e) => super::exec::exec_error(res, container, e),
        Ok(_) => res,
    }
}

/// A remote path as tar sees it: relative paths start at the container's working directory,
/// which is `/` for the images here.
fn remote_path(file: &str) -> String {
    let joined = if file.starts_with('/') {
        file.to_owned()
    } else {
        format!("/{file}")
    };
    crate::vfs::resolve("/", &joined)
}

fn is_busybox(image: Image) -> bool {
    matches!(
        image.repository().toolbox,
        Toolbox::Busybox | Toolbox::Alpine
    )
}

/// The files (path relative to the copied root, contents) and empty directories under `path`.
type Tree = (Vec<(String, String)>, Vec<String>);

fn collect(fs: &MountedFs<'_>, path: &str, rel: &str, tree: &mut Tree) {
    match fs.kind(path) {
        Some(FileKind::Dir) => {
            let entries = fs.list(path).unwrap_or_default();
            if entries.is_empty() && !rel.is_empty() {
                tree.1.push(rel.to_owned());
            }
            for (name, _) in entries {
                let child = format!("{}/{name}", path.trim_end_matches('/'));
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                collect(fs, &child, &child_rel, tree);
            }
        }
        Some(_) => {
            if let Ok(content) = fs.read(path) {
                tree.0.push((rel.to_owned(), content.to_owned()));
            }
        }
        None => {}
    }
}

fn from_pod(
    session: &mut Session,
    ns: &str,
    pod: &str,
    requested: Option<&str>,
    file: &str,
    dest: &str,
) -> KResult {
    let mut res = Res::ok();
    let container = open_container(session, ns, pod, requested, &mut res)?;
    let path = remote_path(file);
    let found = session
        .sim
        .with_container_fs(ns, pod, &container, |fs, image| {
            let exists = fs.kind(&path).is_some();
            let mut tree = Tree::default();
            collect(fs, &path, "", &mut tree);
            (image, exists, tree)
        });
    let Some((image, exists, tree)) = found else {
        return Ok(super::exec::exec_error(
            res,
            &container,
            ExecError::NotRunning,
        ));
    };
    if image.repository().toolbox == Toolbox::Distroless {
        return Ok(no_tar(session, ns, pod, &container, res));
    }
    // tar's stderr is kubectl's stdout here (cp.go's TarPipe).
    let busybox = is_busybox(image);
    if file.starts_with('/') {
        res.push_out(if busybox {
            "tar: removing leading '/' from member names\n"
        } else {
            "tar: Removing leading `/' from member names\n"
        });
    }
    if !exists {
        let code = if busybox {
            res.push_out(format!("tar: {file}: No such file or directory\n"));
            1
        } else {
            res.push_out(format!(
                "tar: {file}: Cannot stat: No such file or directory\ntar: Exiting with failure status due to previous errors\n"
            ));
            2
        };
        res.push_err(format!("command terminated with exit code {code}\n"));
        res.code = code;
        return Ok(res);
    }
    let root = crate::vfs::resolve(&session.cwd, dest);
    let (files, empty_dirs) = tree;
    for dir in empty_dirs {
        let _ = session.vfs.mkdir(&format!("{root}/{dir}"), true);
    }
    for (rel, content) in files {
        let target = if rel.is_empty() {
            root.clone()
        } else {
            format!("{root}/{rel}")
        };
        if session.vfs.is_dir(&target) {
            return Err(format!("error: open {dest}: is a directory\n"));
        }
        if let Some((parent, _)) = target.rsplit_once('/')
            && !parent.is_empty()
        {
            session
                .vfs
                .mkdir(parent, true)
                .map_err(|e| format!("error: {e}\n"))?;
        }
        session
            .vfs
            .write(&target, &content, false)
            .map_err(|e| format!("error: {e}\n"))?;
    }
    Ok(res)
}

fn to_pod(
    session: &mut Session,
    ns: &str,
    pod: &str,
    requested: Option<&str>,
    src: &str,
    file: &str,
) -> KResult {
    let local = crate::vfs::resolve(&session.cwd, src);
    if !session.vfs.exists(&local) {
        return Err(format!("error: {src} doesn't exist in local filesystem\n"));
    }
    // The local tree, relative to the copied root.
    let mut files: Vec<(String, String)> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    if session.vfs.is_dir(&local) {
        for path in session.vfs.files_under(&local) {
            let rel = path[local.len()..].trim_start_matches('/').to_owned();
            files.push((rel, session.vfs.read(&path).unwrap_or_default()));
        }
        if files.is_empty() {
            dirs.push(String::new());
        }
    } else {
        files.push((String::new(), session.vfs.read(&local).unwrap_or_default()));
    }
    let mut res = Res::ok();
    let container = open_container(session, ns, pod, requested, &mut res)?;
    let base = crate::vfs::basename(local.trim_end_matches('/')).to_owned();
    let requested_path = remote_path(file);
    let outcome = session
        .sim
        .with_container_fs(ns, pod, &container, |fs, image| {
            if image.repository().toolbox == Toolbox::Distroless {
                return (image, Ok(()));
            }
            // checkDestinationIsDir: an existing directory receives the source by name.
            let target = if fs.kind(&requested_path) == Some(FileKind::Dir) {
                format!("{}/{base}", requested_path.trim_end_matches('/'))
            } else {
                requested_path.clone()
            };
            let (parent, _) = target.rsplit_once('/').unwrap_or(("", ""));
            let parent = if parent.is_empty() { "/" } else { parent };
            if fs.kind(parent) != Some(FileKind::Dir) {
                return (image, Err((parent.to_owned(), FsError::NotFound)));
            }
            for dir in &dirs {
                let path = join(&target, dir);
                if let Err(e) = fs.mkdir(&path, true) {
                    return (image, Err((path, e)));
                }
            }
            for (rel, content) in &files {
                let path = join(&target, rel);
                if let Some((dir, _)) = path.rsplit_once('/')
                    && !dir.is_empty()
                    && fs.kind(dir).is_none()
                    && let Err(e) = fs.mkdir(dir, true)
                {
                    return (image, Err((dir.to_owned(), e)));
                }
                if let Err(e) = fs.write(&path, content, false) {
                    return (image, Err((path, e)));
                }
            }
            (image, Ok(()))
        });
    let Some((image, written)) = outcome else {
        return Ok(super::exec::exec_error(
            res,
            &container,
            ExecError::NotRunning,
        ));
    };
    if image.repository().toolbox == Toolbox::Distroless {
        return Ok(no_tar(session, ns, pod, &container, res));
    }
    if let Err((path, error)) = written {
        let busybox = is_busybox(image);
        let code = match (&error, busybox) {
            (FsError::NotFound, true) => {
                res.push_err(format!(
                    "tar: can't change directory to '{path}': No such file or directory\n"
                ));
                1
            }
            (FsError::NotFound, false) => {
                res.push_err(format!(
                    "tar: {path}: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n"
                ));
                2
            }
            (e, true) => {
                res.push_err(format!("tar: can't open '{path}': {e}\n"));
                1
            }
            (e, false) => {
                let member = path.trim_start_matches('/');
                res.push_err(format!(
                    "tar: {member}: Cannot open: {e}\ntar: Exiting with failure status due to previous errors\n"
                ));
                2
            }
        };
        res.push_err(format!("command terminated with exit code {code}\n"));
        res.code = code;
    }
    Ok(res)
}

fn join(root: &str, rel: &str) -> String {
    if rel.is_empty() {
        root.to_owned()
    } else {
        format!("{}/{rel}", root.trim_end_matches('/'))
    }
}
