//! Runs the storage port contract kit against the in-memory store, with no async runtime:
//! every kit test becomes a plain `#[test]` driven by `futures_executor::block_on`.

use rollcall_domain::adapters::memory::MemoryStore;

/// A fresh, empty in-memory store (its own fixture).
async fn fresh_store() -> MemoryStore {
    MemoryStore::new()
}

rollcall_domain::storage_contract_tests!(block_on = futures_executor::block_on, fresh_store);

/// Clones of a store are handles to one state, like connections to one database.
#[test]
fn clones_share_one_state() {
    use rollcall_domain::contract::builders::new_user;
    use rollcall_domain::ports::{UserLookup, UserStore};
    let store = MemoryStore::new();
    let other = store.clone();
    let created = futures_executor::block_on(store.create_user(new_user("shared"))).unwrap();
    let found = futures_executor::block_on(other.find_user(&UserLookup::Username("SHARED".into())));
    assert_eq!(found, Ok(Some(created)));
}
