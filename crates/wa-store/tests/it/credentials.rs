//! `SqlSealedCredentials`: ciphertext storage for the vault, with compare-and-swap for rotation.

use wa_domain::ports::{SealedCredential, SealedCredentialStore};
use wa_domain::{credential::CredentialKind, ids::TenantId, ports::StoreError};

use crate::{
    on_both_databases,
    support::{TestDb, at, t0},
};

on_both_databases!(
    credentials_are_replaced_verified_and_revoked,
    reseal_is_a_compare_and_swap,
    rotation_pages_through_rows_under_old_keys,
);

fn row(
    tenant: TenantId,
    kind: CredentialKind,
    ciphertext: &[u8],
    key_id: &str,
) -> SealedCredential {
    SealedCredential {
        tenant,
        kind,
        ciphertext: ciphertext.to_vec(),
        key_id: key_id.to_owned(),
        created_at: t0(),
        rotated_at: None,
        expires_at: Some(at(86_400)),
        last_verified_at: None,
        revoked: false,
        updated_at: t0(),
    }
}

async fn credentials_are_replaced_verified_and_revoked(db: TestDb) {
    let tenant = db.tenant().await;
    let rows = db.credentials();
    let kind = CredentialKind::AccessToken;
    assert_eq!(rows.get(tenant, kind).await.unwrap(), None);
    rows.put(&row(tenant, kind, b"sealed-1", "k1"))
        .await
        .unwrap();
    let replacement = SealedCredential {
        created_at: at(10),
        updated_at: at(10),
        ..row(tenant, kind, b"sealed-2", "k2")
    };
    rows.put(&replacement).await.unwrap();
    assert_eq!(
        rows.get(tenant, kind).await.unwrap(),
        Some(replacement.clone())
    );

    assert!(rows.mark_verified(tenant, kind, at(20)).await.unwrap());
    assert!(rows.revoke(tenant, kind, at(30)).await.unwrap());
    let stored = rows.get(tenant, kind).await.unwrap().unwrap();
    assert_eq!(stored.last_verified_at, Some(at(20)));
    assert!(stored.revoked);
    assert_eq!(stored.updated_at, at(30));
    assert_eq!(stored.ciphertext, replacement.ciphertext);

    let other_kind = CredentialKind::RegistrationPin;
    assert!(
        !rows
            .mark_verified(tenant, other_kind, at(20))
            .await
            .unwrap()
    );
    assert!(!rows.revoke(tenant, other_kind, at(20)).await.unwrap());
    assert!(matches!(
        rows.put(&row(TenantId::generate(), kind, b"x", "k1")).await,
        Err(StoreError::NotFound)
    ));
    // Debug output names the length, never the bytes.
    assert!(!format!("{stored:?}").contains("115, 101, 97"));
}

async fn reseal_is_a_compare_and_swap(db: TestDb) {
    let tenant = db.tenant().await;
    let rows = db.credentials();
    let kind = CredentialKind::AccessToken;
    rows.put(&row(tenant, kind, b"old", "k1")).await.unwrap();
    assert!(
        rows.reseal(
            tenant,
            kind,
            b"old",
            b"new".to_vec(),
            "k2".to_owned(),
            at(5)
        )
        .await
        .unwrap()
    );
    // A rotation that read the old ciphertext before the swap loses.
    assert!(
        !rows
            .reseal(
                tenant,
                kind,
                b"old",
                b"stale".to_vec(),
                "k3".to_owned(),
                at(6)
            )
            .await
            .unwrap()
    );
    let stored = rows.get(tenant, kind).await.unwrap().unwrap();
    assert_eq!(stored.ciphertext, b"new");
    assert_eq!(stored.key_id, "k2");
    assert_eq!(stored.rotated_at, Some(at(5)));
    assert_eq!(stored.created_at, t0(), "other columns are untouched");
    assert!(
        !rows
            .reseal(
                tenant,
                CredentialKind::RegistrationPin,
                b"old",
                vec![],
                "k2".to_owned(),
                at(7)
            )
            .await
            .unwrap()
    );
}

async fn rotation_pages_through_rows_under_old_keys(db: TestDb) {
    let mut tenants = Vec::new();
    for _ in 0..3 {
        tenants.push(db.tenant().await);
    }
    tenants.sort();
    let rows = db.credentials();
    for tenant in &tenants {
        for kind in CredentialKind::ALL {
            rows.put(&row(*tenant, kind, b"x", "old")).await.unwrap();
        }
    }
    rows.put(&row(tenants[1], CredentialKind::AccessToken, b"y", "new"))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = rows.list_for_rotation("new", cursor, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        cursor = page.last().map(|r| (r.tenant, r.kind));
        seen.extend(page.into_iter().map(|r| (r.tenant, r.kind)));
    }
    let mut expected: Vec<_> = tenants
        .iter()
        .flat_map(|t| CredentialKind::ALL.map(|k| (*t, k)))
        .filter(|(t, k)| !(*t == tenants[1] && *k == CredentialKind::AccessToken))
        .collect();
    expected.sort_by_key(|(t, k)| (*t, k.as_str()));
    assert_eq!(seen, expected);
}
