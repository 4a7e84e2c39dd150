//! Informational commands: api-resources, api-versions, version, cluster-info, config, logs.

use super::json::{arr, s};
use super::resources::{API_VERSIONS, DISCOVERY, Discovered};
use super::{KResult, f, parse_flags};
use crate::Session;
use crate::exec::Res;
use tidepool_core::Kind;

pub const ROOT_HELP: &str = "kubectl controls the Kubernetes cluster manager.

 Find more information at: https://kubernetes.io/docs/reference/kubectl/

Basic Commands (Beginner):
  create          Create a resource from a file or from stdin
  expose          Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service
  run             Run a particular image on the cluster
  set             Set specific features on objects

Basic Commands (Intermediate):
  explain         Get documentation for a resource
  get             Display one or many resources
  delete          Delete resources by file names, stdin, resources and names, or by resources and label selector

Deploy Commands:
  rollout         Manage the rollout of a resource
  scale           Set a new size for a deployment, replica set, or replication controller

Cluster Management Commands:
  cluster-info    Display cluster information

Troubleshooting and Debugging Commands:
  describe        Show details of a specific resource or group of resources
  logs            Print the logs for a container in a pod

Advanced Commands:
  apply           Apply a configuration to a resource by file name or stdin

Settings Commands:
  label           Update the labels on a resource
  annotate        Update the annotations on a resource

Other Commands:
  api-resources   Print the supported API resources on the server
  api-versions    Print the supported API versions on the server, in the form of \"group/version\"
  config          Modify kubeconfig files
  version         Print the client and server version information

Usage:
  kubectl [flags] [options]

Use \"kubectl <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";

/// `kubectl COMMAND --help`, in our own words (the commands this playground implements).
pub fn command_help(command: &str) -> Option<String> {
    let (what, usage, examples): (&str, &str, &str) = match command {
        "get" => (
            "Display one or many resources.",
            "kubectl get [(-o|--output=)wide|yaml|json|name|jsonpath=...|custom-columns=...] (TYPE[.GROUP] [NAME ...] | TYPE/NAME ...) [flags]",
            "  kubectl get pods\n  kubectl get deploy,rs -o wide\n  kubectl get pods -A -l app=web --show-labels",
        ),
        "describe" => (
            "Show details of a resource, with its events.",
            "kubectl describe (TYPE [NAME_PREFIX] | TYPE/NAME) [-l selector] [flags]",
            "  kubectl describe pod nginx\n  kubectl describe deployment web",
        ),
        "create" => (
            "Create a resource from a file, a folder, stdin, or a generator.",
            "kubectl create -f FILENAME | kubectl create (deployment|namespace|job|cronjob|configmap|secret generic|service clusterip|service nodeport|quota|serviceaccount|token) NAME [flags]",
            "  kubectl create -f pod.yaml\n  kubectl create deployment web --image=nginx --replicas=3\n  kubectl create namespace dev --dry-run=client -o yaml",
        ),
        "apply" => (
            "Apply a configuration by file name or stdin (created, configured or unchanged).",
            "kubectl apply -f FILENAME [flags]",
            "  kubectl apply -f deployment.yaml\n  cat pod.yaml | kubectl apply -f -",
        ),
        "delete" => (
            "Delete resources by file name, type and name, or label selector.",
            "kubectl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)]) [--force --grace-period=0] [--cascade=background|foreground|orphan] [flags]",
            "  kubectl delete pod nginx\n  kubectl delete -f pod.yaml\n  kubectl delete pods -l app=web",
        ),
        "run" => (
            "Create and run a pod with one container.",
            "kubectl run NAME --image=IMAGE [--env=KEY=VALUE] [--port=PORT] [--labels=K=V,...] [--restart=Always|OnFailure|Never] [--dry-run=client -o yaml] [--command] -- [COMMAND] [ARGS...]",
            "  kubectl run nginx --image=nginx\n  kubectl run busy --image=busybox --restart=Never -- sleep 3600",
        ),
        "scale" => (
            "Set a new size for a deployment, replica set, replication controller or stateful set.",
            "kubectl scale --replicas=COUNT (TYPE NAME | TYPE/NAME) [flags]",
            "  kubectl scale deployment web --replicas=5",
        ),
        "set" => (
            "Change a part of existing objects: container images (image), environment variables (env), resource requests and limits (resources), a Service's selector (selector), the service account of a pod template (serviceaccount). With --local -f FILE the file's object is changed and printed, the cluster is not contacted.",
            "kubectl set image (-f FILENAME | TYPE NAME | TYPE/NAME) CONTAINER=IMAGE ... [flags]\n  kubectl set env (-f FILENAME | TYPE NAME | TYPE/NAME) KEY=VALUE ... KEY- ... [--from=configmap/NAME] [--list] [-c CONTAINER] [flags]\n  kubectl set resources (-f FILENAME | TYPE NAME | TYPE/NAME) [--limits=cpu=200m,memory=512Mi] [--requests=...] [-c CONTAINER] [flags]\n  kubectl set selector (-f FILENAME | TYPE NAME | TYPE/NAME) KEY=VALUE,... [--resource-version=V] [flags]\n  kubectl set serviceaccount|sa (-f FILENAME | TYPE NAME | TYPE/NAME) SERVICE_ACCOUNT [flags]",
            "  kubectl set image deployment/nginx nginx=nginx:1.16.1\n  kubectl set image --local -f api.yaml nginx=nginx:1.27 -o yaml\n  kubectl set selector svc/web app=api\n  kubectl set sa deploy/api sa1\n  kubectl set env deployment/web LOG_LEVEL=debug\n  kubectl set env deployment/web --from=configmap/app-config --prefix=APP_\n  kubectl set resources deployment web --limits=cpu=200m,memory=512Mi --requests=cpu=100m",
        ),
        "cordon" => (
            "Mark a node unschedulable: the scheduler places no new pods there; pods already running stay.",
            "kubectl cordon NODE [flags]",
            "  kubectl cordon node01",
        ),
        "uncordon" => (
            "Mark a node schedulable again.",
            "kubectl uncordon NODE [flags]",
            "  kubectl uncordon node01",
        ),
        "drain" => (
            "Prepare a node for maintenance: cordon it, then evict its pods and wait until they are gone. DaemonSet pods, pods with emptyDir data and pods without a controller stop the drain unless the matching flag allows them.",
            "kubectl drain NODE [flags]",
            "  kubectl drain node01 --ignore-daemonsets\n  kubectl drain node01 --ignore-daemonsets --delete-emptydir-data --force --grace-period=30",
        ),
        "taint" => (
            "Add, change or remove taints on nodes. A taint is KEY[=VALUE]:EFFECT with EFFECT NoSchedule, PreferNoSchedule or NoExecute; pods without a matching toleration stay away.",
            "kubectl taint (nodes NAME... | node/NAME...) KEY[=VALUE]:EFFECT ... KEY[:EFFECT]- ... [flags]",
            "  kubectl taint nodes node01 dedicated=gpu:NoSchedule\n  kubectl taint nodes node01 dedicated:NoSchedule-\n  kubectl taint nodes node01 dedicated-",
        ),
        "wait" => (
            "Wait until objects reach a condition, are deleted or match a jsonpath value. Virtual time passes while it waits.",
            "kubectl wait (TYPE/NAME | TYPE -l SELECTOR | TYPE --all) --for=condition=C[=VALUE]|delete|create|jsonpath='{EXPR}'[=VALUE] [--timeout=30s] [flags]",
            "  kubectl wait --for=condition=Ready pod/web --timeout=60s\n  kubectl wait --for=condition=Available deployment/web\n  kubectl wait --for=delete pod/web\n  kubectl wait --for=jsonpath='{.status.phase}'=Running pod/web",
        ),
        "edit" => (
            "Edit an object in your editor. The object opens as YAML; save to apply it, save it unchanged or empty to cancel. If the change is invalid, the file reopens with the errors at the top.",
            "kubectl edit (TYPE NAME | TYPE/NAME) [-o json] [flags]",
            "  kubectl edit deployment/web\n  kubectl edit svc web -o json",
        ),
        "rollout" => (
            "Manage the rollout of a deployment: status, history, undo, pause, resume, restart.",
            "kubectl rollout SUBCOMMAND (TYPE NAME | TYPE/NAME) [flags]",
            "  kubectl rollout status deployment/web\n  kubectl rollout undo deployment/web --to-revision=1",
        ),
        "expose" => (
            "Expose a pod, deployment, replica set or replication controller as a new service.",
            "kubectl expose (TYPE NAME | TYPE/NAME) [--port=PORT] [--target-port=PORT] [--type=ClusterIP|NodePort|LoadBalancer] [--name=NAME] [flags]",
            "  kubectl expose deployment web --port=80 --type=NodePort",
        ),
        "label" | "annotate" => (
            "Add, change (--overwrite) or remove (KEY-) labels or annotations.",
            "kubectl label|annotate (-f FILENAME | TYPE NAME | TYPE/NAME | TYPE -l selector | TYPE --all) KEY=VALUE ... KEY- [--local] [flags]",
            "  kubectl label pod web tier=fe\n  kubectl annotate pod web note=hello\n  kubectl label --local -f pod.yaml tier=fe -o yaml",
        ),
        "explain" => (
            "Describe the fields of a resource type: what each field means, its type, and whether it is required, from the Kubernetes v1.32 API schema. Fields are named by a dotted path: TYPE.FIELD.FIELD...",
            "kubectl explain TYPE[.FIELD...] [--recursive] [--api-version=GROUP/VERSION] [flags]",
            "  kubectl explain pods\n  kubectl explain pods.spec.containers\n  kubectl explain deployments --recursive\n  kubectl explain deployments --api-version=apps/v1",
        ),
        "logs" => (
            "Print the logs for a container in a pod or specified resource.",
            "kubectl logs POD [-c CONTAINER] [flags]",
            "  kubectl logs nginx",
        ),
        "port-forward" => (
            "Forward one or more local ports to a pod (a TYPE/NAME such as deployment/web or service/web picks one of its pods). The forward runs until Ctrl-C or until the pod goes away; with a trailing & it runs as a background job (jobs, fg, kill %1) while curl localhost:PORT reaches the pod.",
            "kubectl port-forward TYPE/NAME [options] [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]",
            "  kubectl port-forward pod/web 8080:80\n  kubectl port-forward deployment/web 8080:80 &\n  kubectl port-forward service/web 8443:https\n  kubectl port-forward --address 0.0.0.0 pod/web 8888:80\n  kubectl port-forward pod/web :80",
        ),
        "config" => (
            "Show or change the kubeconfig (~/.kube/config): view, current-context, get-contexts, get-clusters, get-users, use-context, set-context, rename-context, delete-context, set-cluster, set-credentials, set, unset.",
            "kubectl config SUBCOMMAND [flags]",
            "  kubectl config set-context --current --namespace=dev\n  kubectl config set-context dev --namespace=dev --cluster=kubernetes --user=kubernetes-admin\n  kubectl config use-context dev\n  kubectl config view --minify -o jsonpath='{..namespace}'",
        ),
        "api-resources" => (
            "Print the resource types the cluster serves.",
            "kubectl api-resources [--namespaced=true|false] [--api-group=GROUP] [-o name] [flags]",
            "  kubectl api-resources",
        ),
        "version" | "cluster-info" | "api-versions" => (
            "Print version, control plane or API information.",
            "kubectl version|cluster-info|api-versions [flags]",
            "  kubectl version",
        ),
        "debug" => (
            "Create debugging sessions for troubleshooting workloads and nodes: an ephemeral container in a running pod, a copy of a pod, or a pod in a node's host namespaces with its root at /host.",
            "kubectl debug (POD | TYPE[[.VERSION].GROUP]/NAME) [ -- COMMAND [args...] ] [--image=IMAGE] [-it] [-c NAME] [--target=CONTAINER] [--copy-to=NAME [--set-image=C=IMAGE] [--share-processes] [--same-node] [--replace]] [--profile=legacy|general|baseline|netadmin|restricted|sysadmin]",
            "  kubectl debug mypod -it --image=busybox --target=app\n  kubectl debug mypod -it --image=busybox --copy-to=my-debugger\n  kubectl debug mypod --copy-to=my-debugger --set-image=*=busybox\n  kubectl debug node/node01 -it --image=busybox",
        ),
        _ => return None,
    };
    let options = match command_options(command) {
        "" => String::new(),
        o => format!("Options:\n{o}\n"),
    };
    Some(format!(
        "{what}\n\nExamples:\n{examples}\n\n{options}Usage:\n  {usage}\n\nGlobal flags: -n/--namespace NAMESPACE, -h/--help.\n"
    ))
}

/// The options section (kubectl's layout: `--flag=default:` then the description) of the
/// commands whose flags change what they do.
fn command_options(command: &str) -> &'static str {
    match command {
        "port-forward" => {
            "    --address=[localhost]:
\tAddresses to listen on (comma separated): IP addresses or localhost (both 127.0.0.1 and ::1).

    --pod-running-timeout=1m0s:
\tHow long to wait until at least one pod exists.
"
        }
        "drain" => {
            "    --delete-emptydir-data=false:
\tAlso evict pods with emptyDir volumes (their data is lost).

    --dry-run='none':
\t\"client\" only prints what would happen.

    --force=false:
\tAlso delete pods that no controller manages (they are not recreated).

    --grace-period=-1:
\tSeconds each pod gets to stop; negative means the pod's own setting.

    --ignore-daemonsets=false:
\tLeave DaemonSet-managed pods where they are instead of stopping.

    --pod-selector='':
\tOnly evict pods matching this label selector.

    -l, --selector='':
\tDrain the nodes matching this label selector.

    --timeout=0s:
\tGive up after this long; zero waits without limit.
"
        }
        "explain" => {
            "    --api-version='':
\tUse this api-version (group/version) of the resource.

    -o, --output='plaintext':
\tFormat of the schema; only plaintext is available here.

    --recursive=false:
\tPrint the names of all fields, nested ones indented, without descriptions.
"
        }
        "cordon" | "uncordon" => {
            "    --dry-run='none':
\t\"client\" only prints what would happen.

    -l, --selector='':
\tAct on the nodes matching this label selector.
"
        }
        "taint" => {
            "    --all=false:
\tTaint every node.

    --overwrite=false:
\tReplace a taint that has the same key and effect.

    -l, --selector='':
\tTaint the nodes matching this label selector.
"
        }
        "wait" => {
            "    --all=false:
\tWait for every object of the type in the namespace.

    --for='':
\tcondition=NAME[=VALUE], delete, create or jsonpath='{EXPR}'[=VALUE].

    -l, --selector='':
\tWait for the objects matching this label selector.

    --timeout=30s:
\tGive up after this long (per object); negative means a week.
"
        }
        "set" => {
            "    --all=false:
\tChange every object of the type in the namespace.

    -f, --filename=[]:
\tThe objects of these files (- is stdin): the live ones, or with --local the files' own.

    --local=false:
\tChange the objects of the -f files and print them; the cluster is not contacted.

    -o, --output='':
\tyaml, json, name or jsonpath=... prints the changed object.

    -c, --containers='*':
\tOnly containers whose name matches this glob.

    --dry-run='none':
\t\"client\" only prints what would happen.

    --from='':
\t(env) Take variables from every key of configmap/NAME or secret/NAME.

    --keys=[]:
\t(env) With --from, only these keys.

    --limits='':
\t(resources) Limits such as cpu=200m,memory=512Mi.

    --list=false:
\t(env) Print the variables instead of changing them.

    --overwrite=true:
\t(env) Replace variables that already exist.

    --prefix='':
\t(env) With --from, put this in front of each name.

    --requests='':
\t(resources) Requests such as cpu=100m,memory=256Mi.

    -l, --selector='':
\tChange the objects matching this label selector.
"
        }
        "edit" => {
            "    -o, --output='':
\tyaml (default) or json for the file you edit.
"
        }
        _ => "",
    }
}

pub fn api_resources(_session: &Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[
            f("output", Some('o'), true),
            f("namespaced", None, true),
            f("api-group", None, true),
            f("no-headers", None, false),
            f("sort-by", None, true),
            f("verbs", None, true),
            f("cached", None, false),
        ],
        "api-resources",
    )?;
    let output = flags.get("output").unwrap_or("");
    if !matches!(output, "" | "name") {
        return Err(format!(
            "error: --output {output} is not available in this playground (use name, or no -o)\n"
        ));
    }
    let name_only = output == "name";
    let mut resources: Vec<&Discovered> = DISCOVERY
        .iter()
        .filter(|r| {
            flags
                .get("namespaced")
                .is_none_or(|ns| (ns == "true") == r.namespaced)
        })
        .filter(|r| flags.get("api-group").is_none_or(|g| g == r.group))
        .collect();
    // `sortableResource`: a stable sort by group unless --sort-by names another field.
    match flags.get("sort-by") {
        None | Some("") => {}
        Some("name") => tidepool_core::stable_sort::sort_by_key(&mut resources, |r| r.name),
        Some("kind") => tidepool_core::stable_sort::sort_by_key(&mut resources, |r| r.kind),
        Some(other) => {
            return Err(format!(
                "error: --sort-by accepts only name or kind, got \"{other}\"\n"
            ));
        }
    }
    if name_only {
        let out: String = resources
            .iter()
            .map(|r| {
                if r.group.is_empty() {
                    format!("{}\n", r.name)
                } else {
                    format!("{}.{}\n", r.name, r.group)
                }
            })
            .collect();
        return Ok(Res::out(out));
    }
    let mut rows = Vec::new();
    if !flags.bool("no-headers") {
        rows.push(
            ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        );
    }
    for r in resources {
        rows.push(vec![
            r.name.to_owned(),
            r.short.to_owned(),
            r.api_version(),
            r.namespaced.to_string(),
            r.kind.to_owned(),
        ]);
    }
    Ok(Res::out(crate::tabwriter::table(&rows)))
}

pub fn api_versions(args: &[String]) -> KResult {
    parse_flags(args, &[], "api-versions")?;
    Ok(Res::out(
        API_VERSIONS
            .iter()
            .map(|v| format!("{v}\n"))
            .collect::<String>(),
    ))
}

fn server_version(session: &Session) -> String {
    session
        .sim
        .api()
        .list(Kind::Node, None)
        .first()
        .map(|n| s(&n.to_json(), "/status/nodeInfo/kubeletVersion").to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "v1.32.4".to_owned())
}

pub fn version(session: &Session, args: &[String]) -> KResult {
    let flags = parse_flags(
        args,
        &[f("client", None, false), f("output", Some('o'), true)],
        "version",
    )?;
    let mut out = "Client Version: v1.32.4\nKustomize Version: v5.5.0\n".to_owned();
    if !flags.bool("client") {
        out.push_str(&format!("Server Version: {}\n", server_version(session)));
    }
    Ok(Res::out(out))
}

pub(crate) fn control_plane_ip(session: &Session) -> String {
    let ip = |v: &serde_json::Value| -> Option<String> {
        let is_cp = v
            .pointer("/metadata/labels")
            .and_then(|l| l.as_object())
            .is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane"));
        let address = arr(v, "/status/addresses")
            .iter()
            .find(|a| s(a, "/type") == "InternalIP")
            .map(|a| s(a, "/address").to_owned());
        address.filter(|_| is_cp)
    };
    // kubectl resolves the kubeconfig's server on every command: look up the kubeadm node by
    // name first rather than listing every node of a large cluster.
    let api = session.sim.api();
    if let Some(found) = api
        .get_ref(Kind::Node, "", "controlplane")
        .ok()
        .and_then(|n| ip(&n.to_json()))
    {
        return found;
    }
    api.list(Kind::Node, None)
        .iter()
        .find_map(|n| ip(&n.to_json()))
        .unwrap_or_else(|| "127.0.0.1".to_owned())
}

pub fn cluster_info(session: &Session, args: &[String]) -> KResult {
    parse_flags(args, &[], "cluster-info")?;
    let ip = control_plane_ip(session);
    let mut out = format!(
        "\x1b[0;32mKubernetes control plane\x1b[0m is running at \x1b[0;33mhttps://{ip}:6443\x1b[0m\n"
    );
    if session
        .sim
        .api()
        .get_ref(Kind::Service, "kube-system", "kube-dns")
        .is_ok()
    {
        out.push_str(&format!(
            "\x1b[0;32mCoreDNS\x1b[0m is running at \x1b[0;33mhttps://{ip}:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\x1b[0m\n"
        ));
    }
    out.push_str(
        "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
    );
    Ok(Res::out(out))
}

/// The Apache header every `kubectl completion` script starts with.
const COMPLETION_LICENSE: &str = "
# Copyright 2016 The Kubernetes Authors.
#
# Licensed under the Apache License, Version 2.0 (the \"License\");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an \"AS IS\" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
";

const COMPLETION_NOTE: &str =
    "# Tidepool: Tab in this terminal asks kubectl for completions itself, for kubectl and
# for aliases of it, so this script does not carry kubectl's completion functions.
";

/// `kubectl completion SHELL`: the usual setup line `source <(kubectl completion bash)`
/// works; the script is a stand-in that says why it holds no functions.
pub fn completion(args: &[String]) -> KResult {
    let shells: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let shell = match shells.as_slice() {
        [] => {
            return Err(
                "error: Shell not specified.\nSee 'kubectl completion -h' for help and examples\n"
                    .to_owned(),
            );
        }
        [one] => one.as_str(),
        _ => {
            return Err("error: Too many arguments. Expected only the shell type.\nSee 'kubectl completion -h' for help and examples\n".to_owned());
        }
    };
    let body = match shell {
        "bash" => format!(
            "{COMPLETION_LICENSE}# bash completion V2 for kubectl                              -*- shell-script -*-\n\n{COMPLETION_NOTE}\ncomplete -o default -F __start_kubectl kubectl\n\n# ex: ts=4 sw=4 et filetype=sh\n"
        ),
        "zsh" => format!(
            "#compdef kubectl\ncompdef _kubectl kubectl\n{COMPLETION_LICENSE}# zsh completion for kubectl                               -*- shell-script -*-\n\n{COMPLETION_NOTE}"
        ),
        "fish" => format!(
            "{COMPLETION_LICENSE}# fish completion for kubectl                              -*- shell-script -*-\n\n{COMPLETION_NOTE}"
        ),
        "powershell" => format!(
            "{COMPLETION_LICENSE}# powershell completion for kubectl                        -*- shell-script -*-\n\n{COMPLETION_NOTE}"
        ),
        other => {
            return Err(format!(
                "error: Unsupported shell type \"{other}\".\nSee 'kubectl completion -h' for help and examples\n"
            ));
        }
    };
    Ok(Res::out(body))
}
