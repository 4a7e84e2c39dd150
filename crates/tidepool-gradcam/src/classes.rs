//! The 1000 ImageNet class names, in index order (torchvision's list).

/// The class names file as shipped (`static/models/imagenet-classes.txt`), one name a line.
pub const CLASSES_TXT: &str = include_str!("../../../static/models/imagenet-classes.txt");

/// The name of class `index`, or `None` past 999.
pub fn class_name(index: usize) -> Option<&'static str> {
    CLASSES_TXT.lines().nth(index)
}

/// All class names in index order.
pub fn class_names() -> Vec<&'static str> {
    CLASSES_TXT.lines().collect()
}

/// Classes whose name contains `query` (case-insensitive), as `(index, name)`, in index order.
pub fn search(query: &str) -> Vec<(usize, &'static str)> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    CLASSES_TXT
        .lines()
        .enumerate()
        .filter(|(_, name)| name.to_lowercase().contains(&query))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NUM_CLASSES;

    #[test]
    fn thousand_names_in_index_order() {
        let names = class_names();
        assert_eq!(names.len(), NUM_CLASSES);
        assert!(names.iter().all(|n| !n.trim().is_empty()));
        assert_eq!(class_name(0), Some("tench"));
        assert_eq!(class_name(282), Some("tiger cat"));
        assert_eq!(class_name(285), Some("Egyptian cat"));
        assert_eq!(class_name(657), Some("missile"));
        assert_eq!(class_name(967), Some("espresso"));
        assert_eq!(class_name(1000), None);
    }

    #[test]
    fn search_is_case_insensitive() {
        let hits = search("EGYPTIAN");
        assert_eq!(hits, vec![(285, "Egyptian cat")]);
        assert!(search("   ").is_empty());
        assert!(search("cat").len() > 5);
    }
}
