//! Whole-cluster transcripts through the public API, one `check` per scenario.

mod support;

use expect_test::expect;
use support::check;

#[test]
fn default_cluster_comes_up() {
    check(
        r#"
        nodes
        pods kube-system
        deploy kube-system
        pods
        "#,
        expect![[r#"
            > nodes
            controlplane
            node01
            node02
            > pods kube-system
            coredns-779bb4669f-4lccs 1/1 Running 10.244.1.2 node01
            coredns-779bb4669f-rfx5b 1/1 Running 10.244.2.2 node02
            etcd-controlplane 1/1 Running 192.168.0.10 controlplane
            kube-apiserver-controlplane 1/1 Running 192.168.0.10 controlplane
            kube-controller-manager-controlplane 1/1 Running 192.168.0.10 controlplane
            kube-proxy-jcl8g 1/1 Running 192.168.0.12 node02
            kube-proxy-pgqgt 1/1 Running 192.168.0.11 node01
            kube-proxy-rqk5b 1/1 Running 192.168.0.10 controlplane
            kube-scheduler-controlplane 1/1 Running 192.168.0.10 controlplane
            > deploy kube-system
            coredns ready=2/2 up-to-date=2 available=2 gen=1/1 Available=True(MinimumReplicasAvailable) Progressing=True(NewReplicaSetAvailable)
            > pods
        "#]],
    );
}

#[test]
fn misspelt_replication_controller_kind_is_a_rest_mapping_error() {
    check(
        r#"
        apply
          apiVersion: v1
          kind: ReplicationContoller
          metadata:
            name: my-rc
          spec:
            replicas: 3
        .
        apply
          apiVersion: v1
          kind: ReplicationController
          metadata:
            name: my-rc
          spec:
            replicas: 3
            selector:
              app: my-nginx
            template:
              metadata:
                labels:
                  app: my-nginx
              spec:
                containers:
                - name: nginx
                  image: nginx:1.14.2
        .
        advance 5s
        pods
        events rc default my-rc
        "#,
        expect![[r#"
            > apply
            error: no matches for kind "ReplicationContoller" in version "v1"
            > apply
            replicationcontroller/my-rc created
            > advance 5s
            > pods
            my-rc-dxgwg 1/1 Running 10.244.1.3 node01
            my-rc-jsd8j 1/1 Running 10.244.2.3 node02
            my-rc-scvvr 1/1 Running 10.244.2.4 node02
            > events rc default my-rc
              Normal SuccessfulCreate 5s replication-controller Created pod: my-rc-dxgwg
              Normal SuccessfulCreate 5s replication-controller Created pod: my-rc-jsd8j
              Normal SuccessfulCreate 5s replication-controller Created pod: my-rc-scvvr
        "#]],
    );
}

#[test]
fn replica_set_with_match_expressions_adopts_and_releases() {
    check(
        r#"
        create
          apiVersion: v1
          kind: Pod
          metadata:
            name: stray
            labels: {app: my-app, version: "2.1"}
          spec:
            containers: [{name: c, image: busybox:1.28, command: [sleep, "3600"]}]
        .
        advance 3s
        create
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata:
            name: my-replicaset
          spec:
            replicas: 3
            selector:
              matchLabels:
                app: my-app
              matchExpressions:
              - {key: version, operator: In, values: ["3.5", "2.1"]}
            template:
              metadata:
                labels: {app: my-app, version: "3.5"}
              spec:
                containers:
                - name: nginx-container
                  image: nginx:latest
        .
        advance 5s
        pods
        json pod default stray /metadata/ownerReferences/0/name
        events rs default my-replicaset
        apply
          apiVersion: v1
          kind: Pod
          metadata:
            name: stray
            labels: {app: my-app, version: "1.0"}
          spec:
            containers: [{name: c, image: busybox:1.28, command: [sleep, "3600"]}]
        .
        advance 5s
        json pod default stray /metadata/ownerReferences
        pods
        "#,
        expect![[r#"
            > create
            pod/stray created
            > advance 3s
            > create
            replicaset.apps/my-replicaset created
            > advance 5s
            > pods
            my-replicaset-v7gm4 1/1 Running 10.244.1.4 node01
            my-replicaset-wbrmm 1/1 Running 10.244.1.3 node01
            stray 1/1 Running 10.244.2.3 node02
            > json pod default stray /metadata/ownerReferences/0/name
            "my-replicaset"
            > events rs default my-replicaset
              Normal SuccessfulCreate 5s replicaset-controller Created pod: my-replicaset-wbrmm
              Normal SuccessfulCreate 5s replicaset-controller Created pod: my-replicaset-v7gm4
            > apply
            pod/stray configured
            > advance 5s
            > json pod default stray /metadata/ownerReferences
            null
            > pods
            my-replicaset-l49gw 1/1 Running 10.244.2.4 node02
            my-replicaset-v7gm4 1/1 Running 10.244.1.4 node01
            my-replicaset-wbrmm 1/1 Running 10.244.1.3 node01
            stray 1/1 Running 10.244.2.3 node02
        "#]],
    );
}

#[test]
fn quota_makes_the_replica_set_fail_repeatedly_with_aggregated_events() {
    check(
        r#"
        create
          apiVersion: v1
          kind: ResourceQuota
          metadata:
            name: mem-cpu-demo
          spec:
            hard:
              requests.cpu: "1"
              requests.memory: 1Gi
              limits.cpu: "2"
              limits.memory: 2Gi
        .
        create
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata:
            name: my-replicaset
          spec:
            replicas: 3
            selector:
              matchLabels: {app: my-app}
            template:
              metadata:
                labels: {app: my-app}
              spec:
                containers:
                - name: nginx-container
                  image: nginx:latest
                  resources:
                    requests: {cpu: 1, memory: 500Mi}
                    limits: {cpu: 1, memory: 500Mi}
        .
        advance 2m6s
        pods
        events rs default my-replicaset
        json quota default mem-cpu-demo /status/used
        "#,
        expect![[r#"
            > create
            resourcequota/mem-cpu-demo created
            > create
            replicaset.apps/my-replicaset created
            > advance 2m6s
            > pods
            my-replicaset-gwgc4 1/1 Running 10.244.1.3 node01
            > events rs default my-replicaset
              Normal SuccessfulCreate 2m6s replicaset-controller Created pod: my-replicaset-gwgc4
              Warning FailedCreate 2m6s replicaset-controller Error creating: pods "my-replicaset-d8jwb" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m6s replicaset-controller Error creating: pods "my-replicaset-vvrv7" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m6s replicaset-controller Error creating: pods "my-replicaset-2x74p" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m6s replicaset-controller Error creating: pods "my-replicaset-9nwzl" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m6s replicaset-controller Error creating: pods "my-replicaset-8mfjh" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m5s replicaset-controller Error creating: pods "my-replicaset-5bnrr" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m5s replicaset-controller Error creating: pods "my-replicaset-dd256" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m5s replicaset-controller Error creating: pods "my-replicaset-2vptv" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 2m5s replicaset-controller Error creating: pods "my-replicaset-7n2rb" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
              Warning FailedCreate 50s (x7 over 2m5s) replicaset-controller (combined from similar events): Error creating: pods "my-replicaset-f22mv" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.cpu=1, used: requests.cpu=1, limited: requests.cpu=1
            > json quota default mem-cpu-demo /status/used
            {"limits.cpu":"1","limits.memory":"500Mi","requests.cpu":"1","requests.memory":"500Mi"}
        "#]],
    );
}

#[test]
fn quota_requires_requests_and_limits() {
    check(
        r#"
        create
          apiVersion: v1
          kind: ResourceQuota
          metadata: {name: mem-cpu-demo}
          spec:
            hard: {requests.cpu: "1", limits.cpu: "2"}
        .
        create
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata: {name: my-replicaset}
          spec:
            replicas: 1
            selector: {matchLabels: {app: x}}
            template:
              metadata: {labels: {app: x}}
              spec:
                containers: [{name: nginx-container, image: nginx}]
        .
        advance 1s
        events rs default my-replicaset
        "#,
        expect![[r#"
            > create
            resourcequota/mem-cpu-demo created
            > create
            replicaset.apps/my-replicaset created
            > advance 1s
            > events rs default my-replicaset
              Warning FailedCreate 1s replicaset-controller Error creating: pods "my-replicaset-gwgc4" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-d8jwb" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-vvrv7" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-2x74p" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-p2h9n" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-49gw8" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-9kk55" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
              Warning FailedCreate 0s replicaset-controller Error creating: pods "my-replicaset-nlb2d" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: nginx-container; requests.cpu for: nginx-container
        "#]],
    );
}

#[test]
fn deployment_create_scale_set_image_undo_delete() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: nginx-deployment
            labels: {app: nginx}
          spec:
            replicas: 3
            selector:
              matchLabels: {app: nginx}
            template:
              metadata:
                labels: {app: nginx}
              spec:
                containers:
                - name: nginx
                  image: nginx:1.14.2
                  ports: [{containerPort: 80}]
        .
        advance 1s
        deploy
        advance 5s
        deploy
        rs
        scale deploy default nginx-deployment 5
        advance 5s
        deploy
        set-image default nginx-deployment nginx=nginx:1.16.1
        advance 1s
        rs
        advance 30s
        deploy
        rs
        history default nginx-deployment
        events deploy default nginx-deployment
        undo default nginx-deployment
        advance 30s
        rs
        history default nginx-deployment
        undo default nginx-deployment 5
        pause default nginx-deployment
        undo default nginx-deployment
        resume default nginx-deployment
        delete deploy default nginx-deployment
        advance 10s
        rs
        pods
        "#,
        expect![[r#"
            > apply
            deployment.apps/nginx-deployment created
            > advance 1s
            > deploy
            nginx-deployment ready=0/3 up-to-date=3 available=0 gen=1/1 Available=False(MinimumReplicasUnavailable) Progressing=True(ReplicaSetUpdated)
            > advance 5s
            > deploy
            nginx-deployment ready=3/3 up-to-date=3 available=3 gen=1/1 Available=True(MinimumReplicasAvailable) Progressing=True(NewReplicaSetAvailable)
            > rs
            nginx-deployment-cf4cd4db7 desired=3 current=3 ready=3 rev=1
            > scale deploy default nginx-deployment 5
            deployment.apps/nginx-deployment scaled
            > advance 5s
            > deploy
            nginx-deployment ready=5/5 up-to-date=5 available=5 gen=2/2 Available=True(MinimumReplicasAvailable) Progressing=True(NewReplicaSetAvailable)
            > set-image default nginx-deployment nginx=nginx:1.16.1
            deployment.apps/nginx-deployment image updated
            > advance 1s
            > rs
            nginx-deployment-cf4cd4db7 desired=4 current=4 ready=4 rev=1
            nginx-deployment-cff86b44d desired=3 current=3 ready=0 rev=2
            > advance 30s
            > deploy
            nginx-deployment ready=5/5 up-to-date=5 available=5 gen=3/3 Available=True(MinimumReplicasAvailable) Progressing=True(NewReplicaSetAvailable)
            > rs
            nginx-deployment-cf4cd4db7 desired=0 current=0 ready=0 rev=1
            nginx-deployment-cff86b44d desired=5 current=5 ready=5 rev=2
            > history default nginx-deployment
            REVISION CHANGE-CAUSE
            1 <none>
            2 <none>
            > events deploy default nginx-deployment
              Normal ScalingReplicaSet 42s deployment-controller Scaled up replica set nginx-deployment-cf4cd4db7 from 0 to 3
              Normal ScalingReplicaSet 36s deployment-controller Scaled up replica set nginx-deployment-cf4cd4db7 from 3 to 5
              Normal ScalingReplicaSet 31s deployment-controller Scaled up replica set nginx-deployment-cff86b44d from 0 to 2
              Normal ScalingReplicaSet 31s deployment-controller Scaled down replica set nginx-deployment-cf4cd4db7 from 5 to 4
              Normal ScalingReplicaSet 31s deployment-controller Scaled up replica set nginx-deployment-cff86b44d from 2 to 3
              Normal ScalingReplicaSet 28s deployment-controller Scaled down replica set nginx-deployment-cf4cd4db7 from 4 to 3
              Normal ScalingReplicaSet 28s deployment-controller Scaled up replica set nginx-deployment-cff86b44d from 3 to 4
              Normal ScalingReplicaSet 28s deployment-controller Scaled down replica set nginx-deployment-cf4cd4db7 from 3 to 2
              Normal ScalingReplicaSet 28s deployment-controller Scaled up replica set nginx-deployment-cff86b44d from 4 to 5
              Normal ScalingReplicaSet 26s (x2 over 27s) deployment-controller (combined from similar events): Scaled down replica set nginx-deployment-cf4cd4db7 from 1 to 0
            > undo default nginx-deployment
            deployment.apps/nginx-deployment rolled back
            > advance 30s
            > rs
            nginx-deployment-cf4cd4db7 desired=5 current=5 ready=5 rev=3
            nginx-deployment-cff86b44d desired=0 current=0 ready=0 rev=2
            > history default nginx-deployment
            REVISION CHANGE-CAUSE
            2 <none>
            3 <none>
            > undo default nginx-deployment 5
            error: unable to find specified revision 5 in history
            > pause default nginx-deployment
            deployment.apps/nginx-deployment paused
            > undo default nginx-deployment
            error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again
            > resume default nginx-deployment
            deployment.apps/nginx-deployment resumed
            > delete deploy default nginx-deployment
            deployment "nginx-deployment" deleted
            > advance 10s
            > rs
            > pods
        "#]],
    );
}

#[test]
fn recreate_strategy_stops_old_pods_first() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web}
          spec:
            replicas: 2
            strategy: {type: Recreate}
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: web, image: httpd:2.4}]
        .
        advance 10s
        set-image default web web=httpd:2.4.62
        advance 1s
        rs
        advance 10s
        rs
        deploy
        "#,
        expect![[r#"
            > apply
            deployment.apps/web created
            > advance 10s
            > set-image default web web=httpd:2.4.62
            deployment.apps/web image updated
            > advance 1s
            > rs
            web-5b886bc448 desired=0 current=0 ready=0 rev=1
            web-6b98d66446 desired=2 current=2 ready=0 rev=2
            > advance 10s
            > rs
            web-5b886bc448 desired=0 current=0 ready=0 rev=1
            web-6b98d66446 desired=2 current=2 ready=2 rev=2
            > deploy
            web ready=2/2 up-to-date=2 available=2 gen=2/2 Available=True(MinimumReplicasAvailable) Progressing=True(NewReplicaSetAvailable)
        "#]],
    );
}

#[test]
fn scheduler_reports_failed_scheduling_and_retries_when_a_node_joins() {
    check(
        r#"
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: big}
          spec:
            containers:
            - name: c
              image: nginx
              resources: {requests: {cpu: "3"}}
        .
        advance 10s
        pods
        events pod default big
        json pod default big /status/conditions
        add-node node03 4 8Gi
        advance 5s
        pods
        events pod default big
        pods kube-system
        "#,
        expect![[r#"
            > create
            pod/big created
            > advance 10s
            > pods
            big 0/1 Pending <none> <none>
            > events pod default big
              Warning FailedScheduling 10s default-scheduler 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
            > json pod default big /status/conditions
            [{"lastTransitionTime":"2026-01-01T00:00:00Z","message":"0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.","reason":"Unschedulable","status":"False","type":"PodScheduled"}]
            > add-node node03 4 8Gi
            node/node03 added
            > advance 5s
            > pods
            big 1/1 Running 10.244.3.2 node03
            > events pod default big
              Warning FailedScheduling 15s default-scheduler 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
              Normal Scheduled 5s default-scheduler Successfully assigned default/big to node03
              Normal Pulling 3s kubelet Pulling image "nginx"
              Normal Pulled 1s kubelet Successfully pulled image "nginx" in 2.118s (2.118s including waiting). Image size: 72188133 bytes.
              Normal Created 1s kubelet Created container: c
              Normal Started 1s kubelet Started container c
            > pods kube-system
            coredns-779bb4669f-4lccs 1/1 Running 10.244.1.2 node01
            coredns-779bb4669f-rfx5b 1/1 Running 10.244.2.2 node02
            etcd-controlplane 1/1 Running 192.168.0.10 controlplane
            kube-apiserver-controlplane 1/1 Running 192.168.0.10 controlplane
            kube-controller-manager-controlplane 1/1 Running 192.168.0.10 controlplane
            kube-proxy-jcl8g 1/1 Running 192.168.0.12 node02
            kube-proxy-pgqgt 1/1 Running 192.168.0.11 node01
            kube-proxy-r8b8j 1/1 Running 192.168.0.13 node03
            kube-proxy-rqk5b 1/1 Running 192.168.0.10 controlplane
            kube-scheduler-controlplane 1/1 Running 192.168.0.10 controlplane
        "#]],
    );
}

#[test]
fn validation_and_strict_decoding_messages() {
    check(
        r#"
        create
          apiVersion: v1
          kind: Pod
          metadata:
              name: myapplication_pod
              namespace: default
          spec:
              container:
              - name: my_ubuntu
                image: ubuntu:18.04
                command: "echo hello world"
        .
        create
          apiVersion: v1
          kind: Pod
          metadata:
              name: myapplication_pod
          spec:
              containers:
              - name: my_ubuntu
                image: ubuntu:18.04
                command: "echo hello world"
        .
        create
          apiVersion: v1
          kind: Pod
          metadata:
              name: myapplication_pod
          spec:
              containers:
              - name: my_ubuntu
                image: ubuntu:18.04
                command: ["echo", "hello world"]
        .
        create
          apiVersion: v1
          kind: Namespace
          metadata:
            name: myfirst_test
        .
        create
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: mismatch}
          spec:
            selector: {matchLabels: {app: a}}
            template:
              metadata: {labels: {app: b}}
              spec:
                containers: [{name: c, image: nginx}]
        .
        create
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: noselector}
          spec:
            replicas: -1
            template:
              metadata: {labels: {app: b}}
              spec:
                containers: [{name: c}]
        .
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: p, namespace: nowhere}
          spec:
            containers: [{name: c, image: nginx}]
        .
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: p}
          spec:
            containers: [{name: c, image: nginx}]
        .
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: p}
          spec:
            containers: [{name: c, image: nginx}]
        .
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: p
        .
        delete pod default nothere
        "#,
        expect![[r#"
            > create
            Error from server (BadRequest): Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.container"
            > create
            Error from server (BadRequest): Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string
            > create
            Error from server (Invalid): Pod "myapplication_pod" is invalid: [metadata.name: Invalid value: "myapplication_pod": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.containers[0].name: Invalid value: "my_ubuntu": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]
            > create
            Error from server (Invalid): Namespace "myfirst_test" is invalid: metadata.name: Invalid value: "myfirst_test": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')
            > create
            Error from server (Invalid): Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`
            > create
            Error from server (Invalid): Deployment.apps "noselector" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment, spec.template.spec.containers[0].image: Required value]
            > create
            Error from server (NotFound): namespaces "nowhere" not found
            > create
            pod/p created
            > create
            Error from server (AlreadyExists): pods "p" already exists
            > create
            error: error converting YAML to JSON: yaml: line 4: did not find expected ',' or '}'
            > delete pod default nothere
            Error from server (NotFound): pods "nothere" not found
        "#]],
    );
}

#[test]
fn namespaces_terminate_and_cascade_deletes_follow_owner_references() {
    check(
        r#"
        create
          apiVersion: v1
          kind: Namespace
          metadata: {name: myfirst-test}
        .
        advance 1s
        json serviceaccount myfirst-test default /metadata/name
        apply
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata: {name: keep, namespace: myfirst-test}
          spec:
            replicas: 2
            selector: {matchLabels: {app: keep}}
            template:
              metadata: {labels: {app: keep}}
              spec:
                containers: [{name: c, image: nginx}]
        .
        advance 5s
        pods myfirst-test
        delete rs myfirst-test keep orphan
        advance 5s
        rs myfirst-test
        pods myfirst-test
        delete ns - myfirst-test
        create
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: late, namespace: myfirst-test}
        .
        advance 10s
        json ns - myfirst-test /status
        pods myfirst-test
        "#,
        expect![[r#"
            > create
            namespace/myfirst-test created
            > advance 1s
            > json serviceaccount myfirst-test default /metadata/name
            "default"
            > apply
            replicaset.apps/keep created
            > advance 5s
            > pods myfirst-test
            keep-4nzr8 1/1 Running 10.244.2.3 node02
            keep-brmm4 1/1 Running 10.244.1.3 node01
            > delete rs myfirst-test keep orphan
            replicaset "keep" deleted
            > advance 5s
            > rs myfirst-test
            > pods myfirst-test
            keep-4nzr8 1/1 Running 10.244.2.3 node02
            keep-brmm4 1/1 Running 10.244.1.3 node01
            > delete ns - myfirst-test
            namespace "myfirst-test" deleted
            > create
            Error from server (Forbidden): configmaps "late" is forbidden: unable to create new content in namespace myfirst-test because it is being terminated
            > advance 10s
            > json ns - myfirst-test /status
            Error from server: namespaces "myfirst-test" not found
            > pods myfirst-test
        "#]],
    );
}

#[test]
fn services_get_endpoints_of_ready_pods() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web}
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80, name: http}]}]
          ---
          apiVersion: v1
          kind: Service
          metadata: {name: web}
          spec:
            selector: {app: web}
            ports: [{port: 80, targetPort: http}]
        .
        json svc default web /spec
        advance 1s
        endpoints default web
        advance 5s
        endpoints default web
        endpoints kube-system kube-dns
        "#,
        expect![[r#"
            > apply
            deployment.apps/web created
            service/web created
            > json svc default web /spec
            {"clusterIP":"10.106.21.197","clusterIPs":["10.106.21.197"],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"port":80,"protocol":"TCP","targetPort":"http"}],"selector":{"app":"web"},"sessionAffinity":"None","type":"ClusterIP"}
            > advance 1s
            > endpoints default web
            ready=[] notReady=[10.244.2.3] ports=[80]
            > advance 5s
            > endpoints default web
            ready=[10.244.1.3,10.244.2.3] notReady=[] ports=[80]
            > endpoints kube-system kube-dns
            ready=[10.244.1.2,10.244.2.2] notReady=[] ports=[53,53,9153]
        "#]],
    );
}

#[test]
fn foreground_deletion_waits_for_dependents() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: fg}
          spec:
            replicas: 2
            selector: {matchLabels: {app: fg}}
            template:
              metadata: {labels: {app: fg}}
              spec:
                containers: [{name: c, image: nginx}]
        .
        advance 5s
        delete deploy default fg foreground
        json deploy default fg /metadata/finalizers
        advance 1s
        pods
        advance 10s
        deploy
        rs
        pods
        "#,
        expect![[r#"
            > apply
            deployment.apps/fg created
            > advance 5s
            > delete deploy default fg foreground
            deployment "fg" deleted
            > json deploy default fg /metadata/finalizers
            ["foregroundDeletion"]
            > advance 1s
            > pods
            > advance 10s
            > deploy
            > rs
            > pods
        "#]],
    );
}

#[test]
fn limit_range_defaults_fill_requests_and_limits() {
    check(
        r#"
        create
          apiVersion: v1
          kind: LimitRange
          metadata: {name: defaults}
          spec:
            limits:
            - type: Container
              default: {cpu: 500m, memory: 256Mi}
              defaultRequest: {cpu: 250m}
        .
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: p}
          spec:
            containers: [{name: c, image: nginx}]
        .
        json pod default p /spec/containers/0/resources
        json pod default p /status/qosClass
        json pod default p /spec/containers/0/imagePullPolicy
        json pod default p /spec/tolerations
        create
          apiVersion: v1
          kind: LimitRange
          metadata: {name: caps}
          spec:
            limits:
            - type: Container
              max: {cpu: "1"}
              min: {memory: 64Mi}
        .
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: greedy}
          spec:
            containers: [{name: c, image: nginx, resources: {limits: {cpu: "2", memory: 32Mi}}}]
        .
        create
          apiVersion: v1
          kind: Service
          metadata: {name: np}
          spec:
            type: NodePort
            selector: {app: x}
            ports: [{port: 80}]
        .
        json svc default np /spec/ports
        "#,
        expect![[r#"
            > create
            limitrange/defaults created
            > create
            pod/p created
            > json pod default p /spec/containers/0/resources
            {"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"250m","memory":"256Mi"}}
            > json pod default p /status/qosClass
            "Burstable"
            > json pod default p /spec/containers/0/imagePullPolicy
            "Always"
            > json pod default p /spec/tolerations
            [{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},{"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}]
            > create
            limitrange/caps created
            > create
            Error from server (Forbidden): pods "greedy" is forbidden: maximum cpu usage per Container is 1, but limit is 2, minimum memory usage per Container is 64Mi, but request is 32Mi
            > create
            service/np created
            > json svc default np /spec/ports
            [{"nodePort":31460,"port":80,"protocol":"TCP","targetPort":80}]
        "#]],
    );
}

#[test]
fn silent_nodes_go_not_ready_and_their_pods_are_evicted_after_300s() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata: {name: web}
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: c, image: nginx}]
        .
        advance 5s
        pods
        silence node01
        advance 49s
        json node - node01 /spec/taints
        advance 2s
        json node - node01 /spec/taints
        events node - node01
        advance 4m58s
        pods
        advance 1s
        pods
        events pod default web-dxgwg
        advance 5s
        pods
        revive node01
        advance 5s
        json node - node01 /spec/taints
        pods
        "#,
        expect![[r#"
            > apply
            replicaset.apps/web created
            > advance 5s
            > pods
            web-dxgwg 1/1 Running 10.244.1.3 node01
            web-jsd8j 1/1 Running 10.244.2.3 node02
            > silence node01
            > advance 49s
            > json node - node01 /spec/taints
            null
            > advance 2s
            > json node - node01 /spec/taints
            [{"effect":"NoSchedule","key":"node.kubernetes.io/unreachable"},{"effect":"NoExecute","key":"node.kubernetes.io/unreachable","timeAdded":"2026-01-01T00:00:55Z"}]
            > events node - node01
              Normal NodeNotReady 1s node-controller Node node01 status is now: NodeNotReady
            > advance 4m58s
            > pods
            web-dxgwg 0/1 Running 10.244.1.3 node01
            web-jsd8j 1/1 Running 10.244.2.3 node02
            > advance 1s
            > pods
            web-dxgwg 0/1 Terminating 10.244.1.3 node01
            web-jsd8j 1/1 Running 10.244.2.3 node02
            web-p2h9n 0/1 ContainerCreating <none> node02
            > events pod default web-dxgwg
              Normal Scheduled 5m55s default-scheduler Successfully assigned default/web-dxgwg to node01
              Normal Pulling 5m54s kubelet Pulling image "nginx"
              Normal Pulled 5m51s kubelet Successfully pulled image "nginx" in 2.268s (2.268s including waiting). Image size: 72188133 bytes.
              Normal Created 5m51s kubelet Created container: c
              Normal Started 5m51s kubelet Started container c
              Normal TaintManagerEviction 0s taint-eviction-controller Marking for deletion Pod default/web-dxgwg
            > advance 5s
            > pods
            web-dxgwg 0/1 Terminating 10.244.1.3 node01
            web-jsd8j 1/1 Running 10.244.2.3 node02
            web-p2h9n 1/1 Running 10.244.2.5 node02
            > revive node01
            > advance 5s
            > json node - node01 /spec/taints
            null
            > pods
            web-jsd8j 1/1 Running 10.244.2.3 node02
            web-p2h9n 1/1 Running 10.244.2.5 node02
        "#]],
    );
}

#[test]
fn jobs_run_to_completion_and_respect_backoff_limit() {
    check(
        r#"
        create
          apiVersion: batch/v1
          kind: Job
          metadata: {name: pi}
          spec:
            completions: 3
            parallelism: 2
            template:
              spec:
                restartPolicy: Never
                containers: [{name: pi, image: perl:5.34, command: [sh, -c, "sleep 4"]}]
        .
        json job default pi /spec/selector/matchLabels
        advance 3s
        jobs
        pods
        advance 5s
        jobs
        advance 10s
        jobs
        events job default pi
        create
          apiVersion: batch/v1
          kind: Job
          metadata: {name: failing}
          spec:
            backoffLimit: 1
            ttlSecondsAfterFinished: 30
            template:
              spec:
                restartPolicy: Never
                containers: [{name: c, image: busybox, command: [sh, -c, "exit 2"]}]
        .
        advance 20s
        jobs
        events job default failing
        advance 30s
        jobs
        create
          apiVersion: batch/v1
          kind: Job
          metadata: {name: always}
          spec:
            template:
              spec:
                containers: [{name: c, image: busybox}]
        .
        "#,
        expect![[r#"
            > create
            job.batch/pi created
            > json job default pi /spec/selector/matchLabels
            {"batch.kubernetes.io/controller-uid":"56f36c80-f5de-45bf-a4bd-27571f392cbc"}
            > advance 3s
            > jobs
            pi active=2 succeeded=0 failed=0 
            > pods
            pi-dxgwg 0/1 ContainerCreating 10.244.1.3 node01
            pi-jsd8j 0/1 ContainerCreating 10.244.2.3 node02
            > advance 5s
            > jobs
            pi active=2 succeeded=0 failed=0 
            > advance 10s
            > jobs
            pi active=1 succeeded=2 failed=0 
            > events job default pi
              Normal SuccessfulCreate 18s job-controller Created pod: pi-dxgwg
              Normal SuccessfulCreate 18s job-controller Created pod: pi-jsd8j
              Normal SuccessfulCreate 4s job-controller Created pod: pi-jrtqw
            > create
            job.batch/failing created
            > advance 20s
            > jobs
            failing active=0 succeeded=0 failed=2 FailureTarget(BackoffLimitExceeded) Failed(BackoffLimitExceeded)
            pi active=0 succeeded=3 failed=0 SuccessCriteriaMet() Complete()
            > events job default failing
              Normal SuccessfulCreate 20s job-controller Created pod: failing-fjhtl
              Normal SuccessfulCreate 17s job-controller Created pod: failing-256kr
              Warning BackoffLimitExceeded 15s job-controller Job has reached the specified backoff limit
            > advance 30s
            > jobs
            pi active=0 succeeded=3 failed=0 SuccessCriteriaMet() Complete()
            > create
            Error from server (Invalid): Job.batch "always" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"
        "#]],
    );
}

#[test]
fn cron_jobs_create_jobs_on_the_virtual_clock() {
    check(
        r#"
        create
          apiVersion: batch/v1
          kind: CronJob
          metadata: {name: hello}
          spec:
            schedule: "*/1 * * * *"
            successfulJobsHistoryLimit: 2
            jobTemplate:
              spec:
                template:
                  spec:
                    restartPolicy: OnFailure
                    containers: [{name: hello, image: busybox:1.28, command: [sh, -c, "date; echo Hello"]}]
        .
        advance 59s
        jobs
        advance 2s
        jobs
        advance 3m
        jobs
        events cj default hello
        json cj default hello /status/lastScheduleTime
        "#,
        expect![[r#"
            > create
            cronjob.batch/hello created
            > advance 59s
            > jobs
            > advance 2s
            > jobs
            hello-29453761 active=1 succeeded=0 failed=0 
            > advance 3m
            > jobs
            hello-29453762 active=0 succeeded=1 failed=0 SuccessCriteriaMet() Complete()
            hello-29453763 active=0 succeeded=1 failed=0 SuccessCriteriaMet() Complete()
            hello-29453764 active=1 succeeded=0 failed=0 
            > events cj default hello
              Normal SuccessfulCreate 3m1s cronjob-controller Created job hello-29453761
              Normal SawCompletedJob 2m58s cronjob-controller Saw completed job: hello-29453761, status: Complete
              Normal SuccessfulCreate 2m1s cronjob-controller Created job hello-29453762
              Normal SawCompletedJob 118s cronjob-controller Saw completed job: hello-29453762, status: Complete
              Normal SuccessfulCreate 61s cronjob-controller Created job hello-29453763
              Normal SawCompletedJob 59s cronjob-controller Saw completed job: hello-29453763, status: Complete
              Normal SuccessfulDelete 59s cronjob-controller Deleted job hello-29453761
              Normal SuccessfulCreate 1s cronjob-controller Created job hello-29453764
            > json cj default hello /status/lastScheduleTime
            "2026-01-01T00:04:00Z"
        "#]],
    );
}

#[test]
fn stateful_sets_start_in_order_and_stop_in_reverse() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: StatefulSet
          metadata: {name: web}
          spec:
            serviceName: nginx
            replicas: 3
            selector: {matchLabels: {app: nginx}}
            template:
              metadata: {labels: {app: nginx}}
              spec:
                containers: [{name: nginx, image: registry.k8s.io/nginx-slim:0.24}]
        .
        advance 1s
        pods
        advance 3s
        pods
        advance 10s
        pods
        json sts default web /status
        scale sts default web 1
        advance 1s
        pods
        advance 3s
        pods
        advance 3s
        pods
        events sts default web
        "#,
        expect![[r#"
            > apply
            statefulset.apps/web created
            > advance 1s
            > pods
            web-0 0/1 ContainerCreating <none> node02
            > advance 3s
            > pods
            web-0 1/1 Running 10.244.2.3 node02
            web-1 0/1 ContainerCreating 10.244.1.3 node01
            > advance 10s
            > pods
            web-0 1/1 Running 10.244.2.3 node02
            web-1 1/1 Running 10.244.1.3 node01
            web-2 1/1 Running 10.244.1.4 node01
            > json sts default web /status
            {"availableReplicas":3,"collisionCount":0,"currentReplicas":3,"currentRevision":"web-84ff758c56","observedGeneration":1,"readyReplicas":3,"replicas":3,"updateRevision":"web-84ff758c56","updatedReplicas":3}
            > scale sts default web 1
            statefulset.apps/web scaled
            > advance 1s
            > pods
            web-0 1/1 Running 10.244.2.3 node02
            > advance 3s
            > pods
            web-0 1/1 Running 10.244.2.3 node02
            > advance 3s
            > pods
            web-0 1/1 Running 10.244.2.3 node02
            > events sts default web
              Normal SuccessfulCreate 21s statefulset-controller create Pod web-0 in StatefulSet web successful
              Normal SuccessfulCreate 18s statefulset-controller create Pod web-1 in StatefulSet web successful
              Normal SuccessfulCreate 15s statefulset-controller create Pod web-2 in StatefulSet web successful
              Normal SuccessfulDelete 7s statefulset-controller delete Pod web-2 in StatefulSet web successful
              Normal SuccessfulDelete 7s statefulset-controller delete Pod web-1 in StatefulSet web successful
        "#]],
    );
}

#[test]
fn deployments_that_cannot_progress_hit_the_deadline() {
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: huge}
          spec:
            replicas: 1
            progressDeadlineSeconds: 60
            selector: {matchLabels: {app: huge}}
            template:
              metadata: {labels: {app: huge}}
              spec:
                containers: [{name: c, image: nginx, resources: {requests: {cpu: "8"}}}]
        .
        advance 30s
        deploy
        advance 31s
        deploy
        json deploy default huge /status/conditions/1/message
        "#,
        expect![[r#"
            > apply
            deployment.apps/huge created
            > advance 30s
            > deploy
            huge ready=0/1 up-to-date=1 available=0 gen=1/1 Available=False(MinimumReplicasUnavailable) Progressing=True(ReplicaSetUpdated)
            > advance 31s
            > deploy
            huge ready=0/1 up-to-date=1 available=0 gen=1/1 Available=False(MinimumReplicasUnavailable) Progressing=False(ProgressDeadlineExceeded)
            > json deploy default huge /status/conditions/1/message
            "ReplicaSet \"huge-8c94f4884\" has timed out progressing."
        "#]],
    );
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    // The example from the Deployment docs: 10 replicas, maxSurge 3, maxUnavailable 2, a stuck
    // rollout, then a scale to 15 spreads 3 new replicas to the old set and 2 to the new one.
    check(
        r#"
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: nginx}
          spec:
            replicas: 10
            strategy: {rollingUpdate: {maxSurge: 3, maxUnavailable: 2}}
            selector: {matchLabels: {app: nginx}}
            template:
              metadata: {labels: {app: nginx}}
              spec:
                containers: [{name: nginx, image: nginx:1.14.2}]
        .
        advance 10s
        apply
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: nginx}
          spec:
            replicas: 10
            strategy: {rollingUpdate: {maxSurge: 3, maxUnavailable: 2}}
            selector: {matchLabels: {app: nginx}}
            template:
              metadata: {labels: {app: nginx}}
              spec:
                containers: [{name: nginx, image: nginx:sometag, resources: {requests: {cpu: "100"}}}]
        .
        advance 5s
        rs
        scale deploy default nginx 15
        advance 5s
        rs
        deploy
        "#,
        expect![[r#"
            > apply
            deployment.apps/nginx created
            > advance 10s
            > apply
            deployment.apps/nginx configured
            > advance 5s
            > rs
            nginx-6d6f784699 desired=5 current=5 ready=0 rev=2
            nginx-795fd66bbb desired=8 current=8 ready=8 rev=1
            > scale deploy default nginx 15
            deployment.apps/nginx scaled
            > advance 5s
            > rs
            nginx-6d6f784699 desired=7 current=7 ready=0 rev=2
            nginx-795fd66bbb desired=11 current=11 ready=11 rev=1
            > deploy
            nginx ready=11/15 up-to-date=7 available=11 gen=3/3 Available=False(MinimumReplicasUnavailable) Progressing=True(ReplicaSetUpdated)
        "#]],
    );
}

#[test]
fn indexed_jobs_run_one_pod_per_completion_index() {
    check(
        r#"
        create
          apiVersion: batch/v1
          kind: Job
          metadata: {name: idx}
          spec:
            completions: 3
            parallelism: 2
            completionMode: Indexed
            template:
              spec:
                restartPolicy: Never
                containers: [{name: c, image: busybox, command: [sh, -c, "sleep 3"]}]
        .
        advance 2s
        jobs
        pods
        json job default idx /status
        advance 6s
        jobs
        json job default idx /status/completedIndexes
        advance 10s
        jobs
        json job default idx /status/completedIndexes
        create
          apiVersion: batch/v1
          kind: Job
          metadata: {name: bad}
          spec:
            parallelism: 2
            completionMode: Indexed
            template:
              spec:
                restartPolicy: Never
                containers: [{name: c, image: busybox}]
        .
        "#,
        expect![[r#"
            > create
            job.batch/idx created
            > advance 2s
            > jobs
            idx active=2 succeeded=0 failed=0 
            > pods
            idx-0-dxgwg 1/1 Running 10.244.1.3 node01
            idx-1-jsd8j 1/1 Running 10.244.2.3 node02
            > json job default idx /status
            {"active":2,"ready":2,"startTime":"2026-01-01T00:00:00Z","terminating":0,"uncountedTerminatedPods":{}}
            > advance 6s
            > jobs
            idx active=1 succeeded=2 failed=0 
            > json job default idx /status/completedIndexes
            "0,1"
            > advance 10s
            > jobs
            idx active=0 succeeded=3 failed=0 SuccessCriteriaMet() Complete()
            > json job default idx /status/completedIndexes
            "0-2"
            > create
            Error from server (Invalid): Job.batch "bad" is invalid: spec.completions: Required value: when completion mode is Indexed
        "#]],
    );
}

#[test]
fn service_account_admission_mounts_the_api_access_volume() {
    check(
        r#"
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: web}
          spec:
            initContainers: [{name: init, image: busybox, command: ["true"]}]
            containers: [{name: c, image: nginx}]
        .
        json pod default web /spec/serviceAccount
        json pod default web /spec/serviceAccountName
        json pod default web /spec/volumes
        json pod default web /spec/initContainers/0/volumeMounts
        json pod default web /spec/containers/0/volumeMounts
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: opted-out}
          spec:
            automountServiceAccountToken: false
            containers: [{name: c, image: nginx}]
          ---
          apiVersion: v1
          kind: ServiceAccount
          metadata: {name: quiet}
          automountServiceAccountToken: false
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: quiet-pod}
          spec:
            serviceAccountName: quiet
            containers: [{name: c, image: nginx}]
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: own-mount}
          spec:
            volumes: [{name: mine, emptyDir: {}}]
            containers:
            - name: c
              image: nginx
              volumeMounts: [{name: mine, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]
        .
        json pod default opted-out /spec/volumes
        json pod default quiet-pod /spec/volumes
        json pod default own-mount /spec/volumes
        json pod kube-system etcd-controlplane /spec/serviceAccountName
        create
          apiVersion: v1
          kind: Pod
          metadata: {name: x}
          spec:
            serviceAccountName: foo
            containers: [{name: c, image: nginx}]
          ---
          apiVersion: apps/v1
          kind: ReplicaSet
          metadata: {name: rs}
          spec:
            replicas: 1
            selector: {matchLabels: {app: rs}}
            template:
              metadata: {labels: {app: rs}}
              spec:
                serviceAccountName: foo
                containers: [{name: c, image: nginx}]
        .
        advance 1s
        events rs default rs
        "#,
        expect![[r#"
            > create
            pod/web created
            > json pod default web /spec/serviceAccount
            "default"
            > json pod default web /spec/serviceAccountName
            "default"
            > json pod default web /spec/volumes
            [{"name":"kube-api-access-nhdxg","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],"name":"kube-root-ca.crt"}},{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"},"path":"namespace"}]}}]}}]
            > json pod default web /spec/initContainers/0/volumeMounts
            [{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access-nhdxg","readOnly":true}]
            > json pod default web /spec/containers/0/volumeMounts
            [{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access-nhdxg","readOnly":true}]
            > create
            pod/opted-out created
            serviceaccount/quiet created
            pod/quiet-pod created
            pod/own-mount created
            > json pod default opted-out /spec/volumes
            null
            > json pod default quiet-pod /spec/volumes
            null
            > json pod default own-mount /spec/volumes
            [{"emptyDir":{},"name":"mine"}]
            > json pod kube-system etcd-controlplane /spec/serviceAccountName
            null
            > create
            Error from server (Forbidden): pods "x" is forbidden: error looking up service account default/foo: serviceaccount "foo" not found
            replicaset.apps/rs created
            > advance 1s
            > events rs default rs
              Warning FailedCreate 0s (x8 over 1s) replicaset-controller Error creating: pods "rs-" is forbidden: error looking up service account default/foo: serviceaccount "foo" not found
        "#]],
    );
}
