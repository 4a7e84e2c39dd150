//! The Grad-CAM lab's strings in English and Korean (kept apart from the cluster lab's
//! `crate::i18n` so the two labs' strings merge without conflicts).

use crate::i18n::Lang;

/// A visible string of the Grad-CAM lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GKey {
    Title,
    Intro,
    DropHere,
    ChooseFile,
    OrSample,
    PasteHint,
    Samples,
    Loading,
    LoadingFromCache,
    LoadFailed,
    WorkerSilent,
    Retry,
    Backend,
    BackendFallback,
    WeightsFromCache,
    WeightsDownloaded,
    Analysing,
    TopFive,
    ExplainThis,
    Explaining,
    Original,
    Heatmap,
    Overlay,
    Opacity,
    Method,
    Layer,
    Class,
    TopPrediction,
    ClassSearch,
    NoMatch,
    Colormap,
    WholeImage,
    Download,
    Timings,
    Preprocess,
    Forward,
    Backward,
    Map,
    Total,
    WhatIsIt,
    Explanation1,
    Explanation2,
    Explanation3,
    Downscaled,
    ReusedPass,
    PrivacyNote,
}

/// The string for `key` in `lang`.
pub fn gtext(lang: Lang, key: GKey) -> &'static str {
    use GKey::*;
    match (lang, key) {
        (Lang::En, Title) => "Grad-CAM: where did the network look?",
        (Lang::Ko, Title) => "Grad-CAM: 신경망은 어디를 보았을까?",
        (Lang::En, Intro) => {
            "An ImageNet-trained EfficientNet-Lite0 runs in your browser. It names what it sees in a photo and Grad-CAM shows which regions made it say so. The photo never leaves your machine."
        }
        (Lang::Ko, Intro) => {
            "ImageNet으로 학습한 EfficientNet-Lite0가 브라우저 안에서 실행됩니다. 사진에서 무엇을 보았는지 말하고, Grad-CAM이 그 판단에 영향을 준 영역을 보여 줍니다. 사진은 이 컴퓨터 밖으로 나가지 않습니다."
        }
        (Lang::En, DropHere) => "Drop a photo here",
        (Lang::Ko, DropHere) => "여기에 사진을 끌어다 놓으세요",
        (Lang::En, ChooseFile) => "Choose a photo…",
        (Lang::Ko, ChooseFile) => "사진 선택…",
        (Lang::En, OrSample) => "or try a sample:",
        (Lang::Ko, OrSample) => "또는 예시 사진:",
        (Lang::En, PasteHint) => "You can also paste an image (Ctrl+V).",
        (Lang::Ko, PasteHint) => "이미지를 붙여 넣을 수도 있습니다 (Ctrl+V).",
        (Lang::En, Samples) => "Sample photos",
        (Lang::Ko, Samples) => "예시 사진",
        (Lang::En, Loading) => "Downloading the model weights…",
        (Lang::Ko, Loading) => "모델 가중치를 내려받는 중…",
        (Lang::En, LoadingFromCache) => "Reading the model weights from the cache…",
        (Lang::Ko, LoadingFromCache) => "캐시에서 모델 가중치를 읽는 중…",
        (Lang::En, LoadFailed) => "The model could not be loaded:",
        (Lang::Ko, LoadFailed) => "모델을 불러오지 못했습니다:",
        (Lang::En, WorkerSilent) => {
            "The model's worker has not answered after a minute. On a slow connection it may \
             still be downloading (about 19 MB); if a file failed to load, or this browser blocks \
             Web Workers or WebAssembly, reload the page to try again."
        }
        (Lang::Ko, WorkerSilent) => {
            "1분이 지나도 모델 워커가 응답하지 않습니다. 느린 연결에서는 아직 내려받는 중일 수 \
             있습니다(약 19 MB). 파일을 불러오지 못했거나 이 브라우저가 Web Worker 또는 \
             WebAssembly를 막고 있다면 페이지를 새로 고쳐 다시 시도하세요."
        }
        (Lang::En, Retry) => "Try again",
        (Lang::Ko, Retry) => "다시 시도",
        (Lang::En, Backend) => "Backend",
        (Lang::Ko, Backend) => "백엔드",
        (Lang::En, BackendFallback) => "WebGPU is unavailable, running on the CPU (Flex)",
        (Lang::Ko, BackendFallback) => "WebGPU를 쓸 수 없어 CPU(Flex)에서 실행합니다",
        (Lang::En, WeightsFromCache) => "weights from the cache",
        (Lang::Ko, WeightsFromCache) => "가중치: 캐시",
        (Lang::En, WeightsDownloaded) => "weights downloaded",
        (Lang::Ko, WeightsDownloaded) => "가중치: 다운로드",
        (Lang::En, Analysing) => "Analysing…",
        (Lang::Ko, Analysing) => "분석 중…",
        (Lang::En, TopFive) => "Top 5 predictions",
        (Lang::Ko, TopFive) => "상위 5개 예측",
        (Lang::En, ExplainThis) => "Explain this class",
        (Lang::Ko, ExplainThis) => "이 클래스 설명 보기",
        (Lang::En, Explaining) => "Explaining",
        (Lang::Ko, Explaining) => "설명 대상",
        (Lang::En, Original) => "Original",
        (Lang::Ko, Original) => "원본",
        (Lang::En, Heatmap) => "Heatmap",
        (Lang::Ko, Heatmap) => "히트맵",
        (Lang::En, Overlay) => "Overlay",
        (Lang::Ko, Overlay) => "오버레이",
        (Lang::En, Opacity) => "Heatmap opacity",
        (Lang::Ko, Opacity) => "히트맵 불투명도",
        (Lang::En, Method) => "Method",
        (Lang::Ko, Method) => "방법",
        (Lang::En, Layer) => "Target layer",
        (Lang::Ko, Layer) => "대상 레이어",
        (Lang::En, Class) => "Class",
        (Lang::Ko, Class) => "클래스",
        (Lang::En, TopPrediction) => "Top prediction",
        (Lang::Ko, TopPrediction) => "최상위 예측",
        (Lang::En, ClassSearch) => "Search the 1000 classes",
        (Lang::Ko, ClassSearch) => "1000개 클래스 검색",
        (Lang::En, NoMatch) => "No class matches.",
        (Lang::Ko, NoMatch) => "일치하는 클래스가 없습니다.",
        (Lang::En, Colormap) => "Colormap",
        (Lang::Ko, Colormap) => "컬러맵",
        (Lang::En, WholeImage) => "Whole image (no crop)",
        (Lang::Ko, WholeImage) => "전체 이미지 (자르지 않음)",
        (Lang::En, Download) => "Download overlay (PNG)",
        (Lang::Ko, Download) => "오버레이 내려받기 (PNG)",
        (Lang::En, Timings) => "Timings",
        (Lang::Ko, Timings) => "소요 시간",
        (Lang::En, Preprocess) => "preprocess",
        (Lang::Ko, Preprocess) => "전처리",
        (Lang::En, Forward) => "forward",
        (Lang::Ko, Forward) => "순전파",
        (Lang::En, Backward) => "backward",
        (Lang::Ko, Backward) => "역전파",
        (Lang::En, Map) => "map",
        (Lang::Ko, Map) => "맵",
        (Lang::En, Total) => "total",
        (Lang::Ko, Total) => "전체",
        (Lang::En, WhatIsIt) => "What is Grad-CAM?",
        (Lang::Ko, WhatIsIt) => "Grad-CAM이란?",
        (Lang::En, Explanation1) => {
            "Grad-CAM explains a CNN after the fact (post hoc) and only works for CNNs (model-specific). It takes the feature maps A^k that the last convolutional layer returns and asks how much each one contributed to the score y^c of class c."
        }
        (Lang::Ko, Explanation1) => {
            "Grad-CAM은 CNN 기반 모델을 해석하는 방법입니다. 모델이 결과(Y)를 낸 뒤에 다시 분석하는 Post-hoc 방법이고, CNN에만 쓰이는 Model-specific 방법입니다. 마지막 CNN 층이 반환하는 Feature Map(A^k)이 클래스 c의 점수 y^c에 얼마나 기여했는지 계산합니다."
        }
        (Lang::En, Explanation2) => {
            "The weight of map k is the average gradient of y^c over its pixels. The heatmap is ReLU(Σ_k weight_k · A^k): like stacking coloured cellophane sheets, each map tints the final picture as much as it contributed."
        }
        (Lang::Ko, Explanation2) => {
            "각 Feature Map의 가중치는 y^c의 그래디언트를 픽셀 전체에 대해 평균한 값입니다. 히트맵은 ReLU(Σ_k 가중치_k · A^k)입니다. 셀로판지를 겹치듯, 각 Feature Map이 최종 색깔에 기여한 만큼 그림을 물들입니다."
        }
        (Lang::En, Explanation3) => {
            "Red regions pushed the network towards the explained class. Pick another class in the top 5, another layer (earlier layers are sharper but less semantic) or another method to compare."
        }
        (Lang::Ko, Explanation3) => {
            "빨간 영역이 해당 클래스로 판단하게 만든 부분입니다. 상위 5개 중 다른 클래스, 다른 레이어(앞쪽 레이어일수록 선명하지만 의미는 약함), 다른 방법을 골라 비교해 보세요."
        }
        (Lang::En, Downscaled) => "The photo was large and was reduced before resizing.",
        (Lang::Ko, Downscaled) => "사진이 커서 크기를 조정하기 전에 축소했습니다.",
        (Lang::En, ReusedPass) => {
            "Same photo, layer and class: the last pass was reused, only the map was redrawn."
        }
        (Lang::Ko, ReusedPass) => {
            "같은 사진·층·클래스이므로 이전 계산을 재사용하고 맵만 다시 그렸습니다."
        }
        (Lang::En, PrivacyNote) => "Runs locally: nothing is uploaded.",
        (Lang::Ko, PrivacyNote) => "로컬에서 실행: 아무것도 업로드하지 않습니다.",
    }
}
