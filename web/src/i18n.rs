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
    TerminalPlaceholder,
    GraphPlaceholder,
    VirtualTime,
    Speed,
    Pause,
    Paused,
    Step,
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
    }
}
