//! UI strings in English and Korean. Every visible string goes through [`text`].

/// The UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language for a saved tag (English for anything unknown).
    pub fn from_tag(tag: &str) -> Self {
        if tag == "ko" { Lang::Ko } else { Lang::En }
    }

    /// The other language, for the switch button.
    pub fn toggled(self) -> Self {
        match self {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        }
    }
}

/// A visible string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Tagline,
    KubernetesLab,
    GradcamLab,
    Terminal,
    ClusterGraph,
    Instances,
    LanguageSwitch,
    WorkerConnecting,
    WorkerReady,
    WorkerSilent,
    TerminalPlaceholder,
    GraphPlaceholder,
    VirtualTime,
    Speed,
    Pause,
    Paused,
    Step,
    AllNamespaces,
    Namespace,
    Nodes,
    Workloads,
    Services,
    Unscheduled,
    NodeReady,
    NodeNotReady,
    Cpu,
    Memory,
    Requested,
    MorePods,
    GraphWaiting,
    GraphEmpty,
    Legend,
    Inspector,
    TabYaml,
    TabDescribe,
    TabEvents,
    TabLogs,
    Loading,
    Close,
    Delete,
    ConfirmDelete,
    Edit,
    EditHint,
    ResizePanes,
    ResizeEvents,
    Cancel,
    Events,
    EventsAll,
    EventsNormal,
    EventsWarning,
    NoEvents,
    Session,
    ResetCluster,
    ConfirmReset,
    Export,
    Import,
    ThemeLight,
    ThemeDark,
    Dismiss,
    NoticeRestored,
    NoticeSetAside,
    NoticeStorageFailed,
    NoticeReset,
    NoticeImported,
    NoticeImportFailed,
    Reason,
    Editor,
    EditorText,
    EditorSaveClose,
    EditorDiscard,
    EditorCommand,
    EditorCommandHint,
    EditorUnsaved,
    EditorEditFailed,
    EditorProblems,
    EditorLine,
    TerminalTabs,
    NewNodeShell,
    NewTerminalOn,
    AnotherControlplane,
    CloseTab,
    TabShortcuts,
    NoticeTerminalFailed,
    OfflineReady,
    OfflineUpdateReady,
    OfflineReload,
}

/// The string for `key` in `lang`.
pub fn text(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match (lang, key) {
        (Lang::En, Tagline) => "Kubernetes and Grad-CAM labs, running entirely in your browser",
        (Lang::Ko, Tagline) => "브라우저 안에서 전부 실행되는 쿠버네티스·Grad-CAM 실습장",
        (Lang::En, KubernetesLab) => "Kubernetes lab",
        (Lang::Ko, KubernetesLab) => "쿠버네티스 실습",
        (Lang::En, GradcamLab) => "Grad-CAM lab",
        (Lang::Ko, GradcamLab) => "Grad-CAM 실습",
        (Lang::En, Terminal) => "Terminal",
        (Lang::Ko, Terminal) => "터미널",
        (Lang::En, ClusterGraph) => "Cluster graph",
        (Lang::Ko, ClusterGraph) => "클러스터 그래프",
        (Lang::En, Instances) => "Instances",
        (Lang::Ko, Instances) => "인스턴스",
        (Lang::En, LanguageSwitch) => "한국어",
        (Lang::Ko, LanguageSwitch) => "English",
        (Lang::En, WorkerConnecting) => "Starting the cluster worker…",
        (Lang::Ko, WorkerConnecting) => "클러스터 워커를 시작하는 중…",
        (Lang::En, WorkerReady) => "Cluster worker ready",
        (Lang::Ko, WorkerReady) => "클러스터 워커 준비됨",
        (Lang::En, WorkerSilent) => {
            "The cluster worker has not started after 20 s: a file failed to load, or this \
             browser blocks Web Workers or WebAssembly. Reload the page to try again."
        }
        (Lang::Ko, WorkerSilent) => {
            "20초가 지나도 클러스터 워커가 시작되지 않았습니다. 파일을 불러오지 못했거나 이 \
             브라우저가 Web Worker 또는 WebAssembly를 막고 있습니다. 페이지를 새로 고쳐 다시 \
             시도하세요."
        }
        (Lang::En, TerminalPlaceholder) => "The terminal could not load (xterm.js is missing).",
        (Lang::Ko, TerminalPlaceholder) => "터미널을 불러오지 못했습니다 (xterm.js 없음).",
        (Lang::En, GraphPlaceholder) => "The live cluster graph appears here.",
        (Lang::Ko, GraphPlaceholder) => "실시간 클러스터 그래프가 여기에 표시됩니다.",
        (Lang::En, VirtualTime) => "Virtual time",
        (Lang::Ko, VirtualTime) => "가상 시간",
        (Lang::En, Speed) => "Speed",
        (Lang::Ko, Speed) => "속도",
        (Lang::En, Pause) => "Pause",
        (Lang::Ko, Pause) => "일시정지",
        (Lang::En, Paused) => "paused",
        (Lang::Ko, Paused) => "일시정지됨",
        (Lang::En, Step) => "+10s",
        (Lang::Ko, Step) => "+10초",
        (Lang::En, AllNamespaces) => "All namespaces",
        (Lang::Ko, AllNamespaces) => "모든 네임스페이스",
        (Lang::En, Namespace) => "Namespace",
        (Lang::Ko, Namespace) => "네임스페이스",
        (Lang::En, Nodes) => "Nodes",
        (Lang::Ko, Nodes) => "노드",
        (Lang::En, Workloads) => "Workloads",
        (Lang::Ko, Workloads) => "워크로드",
        (Lang::En, Services) => "Services",
        (Lang::Ko, Services) => "서비스",
        (Lang::En, Unscheduled) => "Not scheduled yet",
        (Lang::Ko, Unscheduled) => "아직 스케줄되지 않음",
        (Lang::En, NodeReady) => "Ready",
        (Lang::Ko, NodeReady) => "Ready",
        (Lang::En, NodeNotReady) => "NotReady",
        (Lang::Ko, NodeNotReady) => "NotReady",
        (Lang::En, Cpu) => "CPU",
        (Lang::Ko, Cpu) => "CPU",
        (Lang::En, Memory) => "Memory",
        (Lang::Ko, Memory) => "메모리",
        (Lang::En, Requested) => "requested",
        (Lang::Ko, Requested) => "요청",
        (Lang::En, MorePods) => "more pods",
        (Lang::Ko, MorePods) => "개의 파드 더 있음",
        (Lang::En, GraphWaiting) => "Waiting for the cluster…",
        (Lang::Ko, GraphWaiting) => "클러스터를 기다리는 중…",
        (Lang::En, GraphEmpty) => {
            "No objects in this namespace yet. Try: kubectl create deployment web --image=nginx --replicas=3"
        }
        (Lang::Ko, GraphEmpty) => {
            "이 네임스페이스에는 아직 오브젝트가 없습니다. 예: kubectl create deployment web --image=nginx --replicas=3"
        }
        (Lang::En, Legend) => "Pod status",
        (Lang::Ko, Legend) => "파드 상태",
        (Lang::En, Inspector) => "Inspector",
        (Lang::Ko, Inspector) => "인스펙터",
        (Lang::En, TabYaml) => "YAML",
        (Lang::Ko, TabYaml) => "YAML",
        (Lang::En, TabDescribe) => "Describe",
        (Lang::Ko, TabDescribe) => "Describe",
        (Lang::En, TabEvents) => "Events",
        (Lang::Ko, TabEvents) => "이벤트",
        (Lang::En, TabLogs) => "Logs",
        (Lang::Ko, TabLogs) => "로그",
        (Lang::En, Loading) => "Loading…",
        (Lang::Ko, Loading) => "불러오는 중…",
        (Lang::En, Close) => "Close",
        (Lang::Ko, Close) => "닫기",
        (Lang::En, Edit) => "Edit",
        (Lang::Ko, Edit) => "편집",
        (Lang::En, EditHint) => "Opens the editor as kubectl edit does in the active terminal",
        (Lang::Ko, EditHint) => "활성 터미널에서 kubectl edit 처럼 편집기를 엽니다",
        (Lang::En, ResizePanes) => "Resize terminal and cluster panes",
        (Lang::Ko, ResizePanes) => "터미널과 클러스터 창 크기 조절",
        (Lang::En, ResizeEvents) => "Resize graph and events",
        (Lang::Ko, ResizeEvents) => "그래프와 이벤트 크기 조절",
        (Lang::En, Delete) => "Delete",
        (Lang::Ko, Delete) => "삭제",
        (Lang::En, ConfirmDelete) => "Delete this object? kubectl delete runs as if you typed it.",
        (Lang::Ko, ConfirmDelete) => {
            "이 오브젝트를 삭제할까요? 직접 입력한 것처럼 kubectl delete가 실행됩니다."
        }
        (Lang::En, Cancel) => "Cancel",
        (Lang::Ko, Cancel) => "취소",
        (Lang::En, Events) => "Events",
        (Lang::Ko, Events) => "이벤트",
        (Lang::En, EventsAll) => "All",
        (Lang::Ko, EventsAll) => "전체",
        (Lang::En, EventsNormal) => "Normal",
        (Lang::Ko, EventsNormal) => "Normal",
        (Lang::En, EventsWarning) => "Warning",
        (Lang::Ko, EventsWarning) => "Warning",
        (Lang::En, NoEvents) => "No events yet.",
        (Lang::Ko, NoEvents) => "아직 이벤트가 없습니다.",
        (Lang::En, Session) => "Session",
        (Lang::Ko, Session) => "세션",
        (Lang::En, ResetCluster) => "Reset cluster",
        (Lang::Ko, ResetCluster) => "클러스터 초기화",
        (Lang::En, ConfirmReset) => {
            "Replace the cluster with a fresh one? Your files and history stay."
        }
        (Lang::Ko, ConfirmReset) => "클러스터를 새로 만들까요? 파일과 기록은 유지됩니다.",
        (Lang::En, Export) => "Export session",
        (Lang::Ko, Export) => "세션 내보내기",
        (Lang::En, Import) => "Import session",
        (Lang::Ko, Import) => "세션 가져오기",
        (Lang::En, ThemeLight) => "Light theme",
        (Lang::Ko, ThemeLight) => "밝은 테마",
        (Lang::En, ThemeDark) => "Dark theme",
        (Lang::Ko, ThemeDark) => "어두운 테마",
        (Lang::En, Dismiss) => "Dismiss",
        (Lang::Ko, Dismiss) => "닫기",
        (Lang::En, NoticeRestored) => "Your previous session was restored.",
        (Lang::Ko, NoticeRestored) => "이전 세션을 복원했습니다.",
        (Lang::En, NoticeSetAside) => {
            "Your saved session could not be read, so a fresh cluster started. The saved copy was kept in the browser's storage as"
        }
        (Lang::Ko, NoticeSetAside) => {
            "저장된 세션을 읽을 수 없어 새 클러스터로 시작했습니다. 저장본은 브라우저 저장소에 다음 이름으로 보관했습니다:"
        }
        (Lang::En, NoticeStorageFailed) => {
            "The browser's storage is unavailable; this session will not be saved:"
        }
        (Lang::Ko, NoticeStorageFailed) => {
            "브라우저 저장소를 쓸 수 없어 이 세션은 저장되지 않습니다:"
        }
        (Lang::En, NoticeReset) => "The cluster was reset.",
        (Lang::Ko, NoticeReset) => "클러스터를 초기화했습니다.",
        (Lang::En, NoticeImported) => "The session file was imported.",
        (Lang::Ko, NoticeImported) => "세션 파일을 가져왔습니다.",
        (Lang::En, NoticeImportFailed) => {
            "The file could not be imported; your session is unchanged:"
        }
        (Lang::Ko, NoticeImportFailed) => "파일을 가져오지 못했습니다. 세션은 그대로입니다:",
        (Lang::En, Editor) => "Editor",
        (Lang::Ko, Editor) => "편집기",
        (Lang::En, EditorText) => "File contents",
        (Lang::Ko, EditorText) => "파일 내용",
        (Lang::En, EditorSaveClose) => "Save and close (Ctrl-S)",
        (Lang::Ko, EditorSaveClose) => "저장하고 닫기 (Ctrl-S)",
        (Lang::En, EditorDiscard) => "Close (Esc)",
        (Lang::Ko, EditorDiscard) => "닫기 (Esc)",
        (Lang::En, EditorCommand) => "Editor command (:w, :wq, :x, :q, :q!)",
        (Lang::Ko, EditorCommand) => "편집기 명령 (:w, :wq, :x, :q, :q!)",
        (Lang::En, EditorCommandHint) => "w save · wq save and close · q! discard",
        (Lang::Ko, EditorCommandHint) => "w 저장 · wq 저장 후 닫기 · q! 버리기",
        (Lang::En, EditorUnsaved) => {
            "Unsaved changes. :w saves, :wq saves and closes, :q! or Esc again discards them."
        }
        (Lang::Ko, EditorUnsaved) => {
            "저장하지 않은 변경이 있습니다. :w 저장, :wq 저장 후 닫기, :q! 또는 Esc를 한 번 더 누르면 버립니다."
        }
        (Lang::En, EditorEditFailed) => "kubectl edit could not save your changes:",
        (Lang::Ko, EditorEditFailed) => "kubectl edit가 변경 내용을 저장하지 못했습니다:",
        (Lang::En, EditorProblems) => "Problems",
        (Lang::Ko, EditorProblems) => "문제",
        (Lang::En, EditorLine) => "Line",
        (Lang::Ko, EditorLine) => "줄",
        (Lang::En, TerminalTabs) => "Terminals",
        (Lang::Ko, TerminalTabs) => "터미널 탭",
        (Lang::En, NewNodeShell) => "+ node shell",
        (Lang::Ko, NewNodeShell) => "+ 노드 셸",
        (Lang::En, NewTerminalOn) => "Open a terminal on",
        (Lang::Ko, NewTerminalOn) => "터미널을 열 호스트",
        (Lang::En, AnotherControlplane) => "(another terminal)",
        (Lang::Ko, AnotherControlplane) => "(터미널 하나 더)",
        (Lang::En, CloseTab) => "Close",
        (Lang::Ko, CloseTab) => "닫기",
        (Lang::En, TabShortcuts) => {
            "Alt+1…9 switch terminals · ←/→ on the tabs move between them · Delete on a tab closes it"
        }
        (Lang::Ko, TabShortcuts) => {
            "Alt+1…9 터미널 전환 · 탭에서 ←/→ 로 이동 · 탭에서 Delete 로 닫기"
        }
        (Lang::En, NoticeTerminalFailed) => "The terminal could not be opened:",
        (Lang::Ko, NoticeTerminalFailed) => "터미널을 열지 못했습니다:",
        (Lang::En, Reason) => "Reason",
        (Lang::Ko, Reason) => "이유",
        (Lang::En, OfflineReady) => "Available offline",
        (Lang::Ko, OfflineReady) => "오프라인에서도 사용 가능",
        (Lang::En, OfflineUpdateReady) => "Update ready",
        (Lang::Ko, OfflineUpdateReady) => "업데이트 준비됨",
        (Lang::En, OfflineReload) => "Reload",
        (Lang::Ko, OfflineReload) => "새로고침",
    }
}
