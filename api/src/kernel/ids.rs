//! Record ids: UUIDv7 in text form. They sort by creation time, which keyset pagination uses.

/// Longest string we accept as an id; anything longer cannot exist, so it is not looked up.
const MAX_ID_LEN: usize = 64;

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An id that cannot name a record answers like a missing one (`NOT_FOUND`), never an error
/// that tells the caller about our id format.
pub fn plausible(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_sort_in_creation_order() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }
}
