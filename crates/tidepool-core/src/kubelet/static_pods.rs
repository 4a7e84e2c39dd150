//! Static pods: each node's `/etc/kubernetes/manifests` folder, kept in the simulation, and the
//! mirror pods the kubelet creates for the pods it finds there.
