//! The admin pages' guards over plain HTTP, on both backends: every admin route refuses a
//! signed-out visitor; a wrong password, a missing or wrong CSRF token and an expired session
//! are refused; output is escaped; the customer form needs its token.

use crate::on_both_backends;
use crate::support::{ADMIN_PASSWORD, ADMIN_USER, Backend, TestApp, order};
use sea_orm::ConnectionTrait;
use serde_json::Value;

/// reqwest's `form` needs a feature we do not build; this is the same body.
trait FormBody {
    fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> Self;
}

impl FormBody for reqwest::RequestBuilder {
    fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded").body(body)
    }
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(header: &str) -> String {
    header.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Signs in and returns the session cookie value and the session's CSRF token.
pub async fn sign_in(app: &TestApp, password: &str) -> (reqwest::StatusCode, Option<String>) {
    let http = no_redirects();
    let form = http.get(app.url("/admin/sign-in")).send().await.unwrap();
    let pre = cookie_value(&set_cookie(&form, "signin").unwrap());
    let csrf = hidden_field(&form.text().await.unwrap(), "csrf");
    let r = http
        .post(app.url("/admin/sign-in"))
        .header("cookie", format!("signin={pre}"))
        .form(&[("csrf", csrf.as_str()), ("username", ADMIN_USER), ("password", password), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    (r.status(), set_cookie(&r, "sid").map(|c| cookie_value(&c)).filter(|v| !v.is_empty()))
}

async fn admin_get(app: &TestApp, sid: &str, path: &str) -> reqwest::Response {
    no_redirects().get(app.url(path)).header("cookie", format!("sid={sid}")).send().await.unwrap()
}

on_both_backends!(no_admin_page_is_reachable_signed_out, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    let http = no_redirects();
    for (method, path) in shipping_api::pages::ADMIN_ROUTES {
        let req = match *method {
            "GET" => http.get(app.url(path)),
            _ => http.post(app.url(path)).form(&[("csrf", "x"), ("action", "label"), ("ids", "1")]),
        };
        for cookie in [None, Some("sid=forged-session-token")] {
            let req = req.try_clone().unwrap();
            let req = match cookie {
                Some(c) => req.header("cookie", c),
                None => req,
            };
            let r = req.send().await.unwrap();
            if path.contains(".json") {
                assert_eq!(r.status(), 401, "{method} {path} with {cookie:?}");
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unauthorized");
            } else {
                assert_eq!(r.status(), 303, "{method} {path} with {cookie:?}");
                let to = r.headers()["location"].to_str().unwrap();
                assert!(to.starts_with("/admin/sign-in"), "{method} {path} → {to}");
            }
        }
    }
    // An API key is not a session: the machine keys do not open the pages.
    let r = http.get(app.url("/admin")).bearer_auth(crate::support::API_KEY).send().await.unwrap();
    assert_eq!(r.status(), 303);
    app.cleanup().await;
});

on_both_backends!(wrong_password_missing_csrf_and_expired_sessions_are_refused, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let http = no_redirects();

    let (status, sid) = sign_in(&app, "not the password").await;
    assert_eq!((status.as_u16(), sid), (401, None), "wrong password");

    // Sign-in without the form's token (a login CSRF) is refused even with the right password.
    let r = http
        .post(app.url("/admin/sign-in"))
        .form(&[("username", ADMIN_USER), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r, "sid").is_none());

    let (status, sid) = sign_in(&app, ADMIN_PASSWORD).await;
    assert_eq!(status, 303);
    let sid = sid.expect("a session cookie");
    let page = admin_get(&app, &sid, "/admin").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf");

    // Cookie attributes.
    let (_, _) = (csrf.len(), sid.len());
    let form = http.get(app.url("/admin/sign-in")).send().await.unwrap();
    let pre_cookie = set_cookie(&form, "signin").unwrap();
    assert!(pre_cookie.contains("HttpOnly") && pre_cookie.contains("SameSite=Strict"), "{pre_cookie}");

    // Every POST needs the session's token.
    let id = app.post("/v1/orders", &order("PG-CSRF-1")).await.json::<Value>().await.unwrap()["shipment_id"]
        .as_i64()
        .unwrap();
    for token in [None, Some("wrong-token")] {
        let mut fields = vec![("action", "cancel".to_owned())];
        if let Some(t) = token {
            fields.push(("csrf", t.to_owned()));
        }
        let r = http
            .post(app.url(&format!("/admin/shipments/{id}/action")))
            .header("cookie", format!("sid={sid}"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "token {token:?}");
        let r = http
            .post(app.url("/admin/shipments/bulk"))
            .header("cookie", format!("sid={sid}"))
            .form(&[("action", "cancel"), ("ids", &id.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    assert_eq!(app.state.store.shipment(id).await.unwrap().unwrap().state, "pending_sync", "nothing happened");
    let r = http
        .post(app.url(&format!("/admin/shipments/{id}/action")))
        .header("cookie", format!("sid={sid}"))
        .form(&[("action", "cancel"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "with the token it goes through");
    let audit = app.state.store.audit_trail("shipment", id).await.unwrap();
    assert_eq!(audit.last().unwrap().actor, format!("admin:{ADMIN_USER}"));

    // Output is escaped: a search term comes back as text, never as markup.
    let html = admin_get(&app, &sid, "/admin/shipments?search=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert(1)"));

    // An expired session is refused (and so is one that was signed out).
    let db = app.state.store.db();
    db.execute_unprepared("UPDATE admin_sessions SET expires_at = created_at").await.unwrap();
    let r = admin_get(&app, &sid, "/admin").await;
    assert_eq!(r.status(), 303, "expired");
    let (_, sid2) = sign_in(&app, ADMIN_PASSWORD).await;
    let sid2 = sid2.unwrap();
    let csrf2 = hidden_field(&admin_get(&app, &sid2, "/admin").await.text().await.unwrap(), "csrf");
    let out = http
        .post(app.url("/admin/sign-out"))
        .header("cookie", format!("sid={sid2}"))
        .form(&[("csrf", csrf2.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(set_cookie(&out, "sid").unwrap().contains("Max-Age=0"));
    assert_eq!(admin_get(&app, &sid2, "/admin").await.status(), 303, "signed out");
    app.cleanup().await;
});

on_both_backends!(customer_ndr_form_needs_its_token, |backend: Backend| async move {
    let app = TestApp::start(backend).await;
    app.expect_jobs();
    let body: Value = app.post("/v1/orders", &order("PG-NDR-1")).await.json().await.unwrap();
    let id = body["shipment_id"].as_i64().unwrap();
    let s = app.state.store.shipment(id).await.unwrap().unwrap();
    let page = app.get_public(&format!("/track/{}", s.tracking_token)).await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("name=\"viewport\""));
    assert!(!html.contains("asha.rao@example.com") && !html.contains("98765") && !html.contains("MG Road"), "no PII");
    let r = no_redirects()
        .post(app.url(&format!("/track/{}/ndr", s.tracking_token)))
        .form(&[("deferred_date", "2099-01-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no token");
    assert_eq!(app.get_public("/track/not-a-real-token-0000000000000000000000").await.status(), 404);
    app.cleanup().await;
});

on_both_backends!(bulk_progress_counts_a_dead_job_as_failed, |backend: Backend| async move {
    use shipping_store::jobs::{Job, SyncOrderV1};
    let app = TestApp::start(backend).await;
    app.expect_dead_jobs();
    app.expect_jobs();
    let mut shipments = Vec::new();
    for id in ["ORD-BP-1", "ORD-BP-2"] {
        let body: Value = app.post("/v1/orders", &order(id)).await.json().await.unwrap();
        shipments.push((body["order_id"].as_i64().unwrap(), body["shipment_id"].as_i64().unwrap()));
    }
    let sid = sign_in(&app, ADMIN_PASSWORD).await.1.expect("signed in");
    let started = chrono::Utc::now().timestamp() - 5;
    let (order_id, dead) = shipments[0];
    let job = Job::SyncOrder(SyncOrderV1 { order_id, shipment_id: dead });
    app.state.store.record_dead_job(&job, 6, "Shiprocket said no").await.unwrap();
    let ids = format!("{},{}", shipments[0].1, shipments[1].1);
    let status = |since: i64| {
        let path = format!("/admin/bulk/status.json?action=sync&ids={ids}&since={since}");
        let app = &app;
        let sid = sid.clone();
        async move { admin_get(app, &sid, &path).await.json::<Value>().await.unwrap() }
    };
    let s = status(started).await;
    assert_eq!((s["total"].as_u64(), s["done"].as_u64(), s["failed"].as_u64()), (Some(2), Some(0), Some(1)), "{s}");
    let failed: Vec<i64> = s["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["failed"] == true)
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(failed, [dead]);
    // A job that died before this bulk action started is not this action's failure.
    assert_eq!(status(chrono::Utc::now().timestamp() + 5).await["failed"], 0);
    app.cleanup().await;
});

// A delivered shipment whose return has been picked up (as the worker would have recorded it):
// the shipment's answer, its admin page, the list and the customer's page show the return.
on_both_backends!(the_answer_and_the_pages_show_the_return, |backend: Backend| async move {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    use shipping_store::entities::{return_request, shipment};
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let id = app.post("/v1/orders", &order("PG-RET-1")).await.json::<Value>().await.unwrap()["shipment_id"]
        .as_i64()
        .unwrap();
    let db = app.state.store.db();
    let mut s = shipment::Entity::find_by_id(id).one(db).await.unwrap().unwrap().into_active_model();
    s.state = Set("delivered".into());
    s.awb = Set(Some("AWB900".into()));
    s.update(db).await.unwrap();
    let r = app.post(&format!("/v1/shipments/{id}/return"), &serde_json::json!({"reason": "Wrong size"})).await;
    assert_eq!(r.status(), 202);
    let ret = return_request::Entity::find().one(db).await.unwrap().unwrap();
    let mut a = ret.clone().into_active_model();
    a.awb = Set(Some("RAWB901".into()));
    a.status = Set(shipping_domain::ReturnState::PickupScheduled.name().into());
    a.update(db).await.unwrap();
    let scan = shipping_domain::TrackingEvent::new(
        Some(shipping_domain::Awb::parse("RAWB901").unwrap()),
        shipping_domain::RawStatus::Shipment(42),
        chrono::Utc::now(),
    );
    let recorded = app
        .state
        .store
        .record_return_event(
            &scan,
            "RETURN PICKED UP",
            Some("Pune_Hub (Maharashtra)"),
            Some("Return picked up from customer"),
            shipping_store::EventSource::Poll,
        )
        .await
        .unwrap();
    assert_eq!(recorded.to, shipping_domain::ReturnState::PickedUp);

    let answer: Value = app.get(&format!("/v1/shipments/{id}")).await.json().await.unwrap();
    assert_eq!(answer["state"], "return_picked_up", "{answer}");
    let returns = answer["returns"].as_array().unwrap();
    assert_eq!(returns.len(), 1);
    assert_eq!((returns[0]["status"].as_str(), returns[0]["awb"].as_str()), (Some("picked_up"), Some("RAWB901")));
    assert_eq!(returns[0]["timeline"][0]["status"], "RETURN PICKED UP");
    assert!(answer["timeline"].as_array().unwrap().is_empty(), "the return's scans are its own timeline");

    let (_, sid) = sign_in(&app, ADMIN_PASSWORD).await;
    let sid = sid.unwrap();
    let page = admin_get(&app, &sid, &format!("/admin/shipments/{id}")).await.text().await.unwrap();
    assert!(page.contains("data-return-status=\"picked_up\">Return picked up<"), "{page}");
    assert!(page.contains("RAWB901") && page.contains("Wrong size") && page.contains("Pune_Hub"), "{page}");
    let list = admin_get(&app, &sid, "/admin/shipments").await.text().await.unwrap();
    assert!(list.contains("<th scope=\"col\">Return</th>") && list.contains("<td>picked_up</td>"), "{list}");

    let token = shipment::Entity::find_by_id(id).one(db).await.unwrap().unwrap().tracking_token;
    let public = app.get_public(&format!("/track/{token}")).await.text().await.unwrap();
    assert!(public.contains("Return picked up") && public.contains("RAWB901"), "{public}");
    assert!(!public.contains("Wrong size") && !public.contains(&ret.channel_return_id), "no reason, no return id");
    app.cleanup().await;
});

// An exchange asked for from the admin page: its replacement is created when the return's
// pickup is recorded, and the pages link the two (staff to the replacement's page, the
// customer to its tracking page).
on_both_backends!(an_exchange_from_the_admin_page_links_its_replacement, |backend: Backend| async move {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    use shipping_store::entities::{return_request, shipment};
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let body = app.post("/v1/orders", &order("PG-EXC-1")).await.json::<Value>().await.unwrap();
    let (order_id, id) = (body["order_id"].as_i64().unwrap(), body["shipment_id"].as_i64().unwrap());
    let db = app.state.store.db();
    let mut s = shipment::Entity::find_by_id(id).one(db).await.unwrap().unwrap().into_active_model();
    s.state = Set("delivered".into());
    s.awb = Set(Some("AWB950".into()));
    s.update(db).await.unwrap();

    let (_, sid) = sign_in(&app, ADMIN_PASSWORD).await;
    let sid = sid.unwrap();
    let page = admin_get(&app, &sid, &format!("/admin/shipments/{id}")).await.text().await.unwrap();
    assert!(page.contains("name=\"exchange\""), "the return form offers an exchange");
    let post = |exchange: &'static str| {
        let (app, sid, csrf) = (&app, &sid, hidden_field(&page, "csrf"));
        async move {
            no_redirects()
                .post(app.url(&format!("/admin/shipments/{id}/action")))
                .header("cookie", format!("sid={sid}"))
                .form(&[("action", "return"), ("csrf", csrf.as_str()), ("reason", "Too small"), ("exchange", exchange)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(post("sometime").await, 422, "an unknown timing is refused");
    assert_eq!(post("on_pickup").await, 303);
    let ret = return_request::Entity::find().one(db).await.unwrap().unwrap();
    assert_eq!(ret.replacement_ships.as_deref(), Some("on_pickup"));
    let page = admin_get(&app, &sid, &format!("/admin/shipments/{id}")).await.text().await.unwrap();
    assert!(page.contains("Ships once the courier has collected the return"), "{page}");

    let mut a = ret.clone().into_active_model();
    a.awb = Set(Some("RAWB951".into()));
    a.status = Set(shipping_domain::ReturnState::PickupScheduled.name().into());
    a.update(db).await.unwrap();
    let scan = shipping_domain::TrackingEvent::new(
        Some(shipping_domain::Awb::parse("RAWB951").unwrap()),
        shipping_domain::RawStatus::Order(32),
        chrono::Utc::now(),
    );
    let recorded = app
        .state
        .store
        .record_return_event(&scan, "RETURN PICKED UP", None, None, shipping_store::EventSource::Webhook)
        .await
        .unwrap();
    assert_eq!(recorded.to, shipping_domain::ReturnState::PickedUp);
    let parcels = app.state.store.shipments_of_order(order_id).await.unwrap();
    assert_eq!(parcels.len(), 2);
    let replacement = &parcels[1];

    let page = admin_get(&app, &sid, &format!("/admin/shipments/{id}")).await.text().await.unwrap();
    assert!(page.contains(&format!("href=\"/admin/shipments/{}\" data-replacement", replacement.id)), "{page}");
    assert!(page.contains("PG-EXC-1-X1"), "{page}");
    let other = admin_get(&app, &sid, &format!("/admin/shipments/{}", replacement.id)).await.text().await.unwrap();
    assert!(other.contains("id=\"replaces\"") && other.contains(&format!("/admin/shipments/{id}\"")), "{other}");
    let edit_form = format!("action=\"/admin/shipments/{}/order\"", replacement.id);
    assert!(!other.contains(&edit_form), "a replacement is not corrected through the order");
    let unsynced = app.post("/v1/orders", &order("PG-EXC-2")).await.json::<Value>().await.unwrap();
    let unsynced = unsynced["shipment_id"].as_i64().unwrap();
    let page = admin_get(&app, &sid, &format!("/admin/shipments/{unsynced}")).await.text().await.unwrap();
    assert!(page.contains(&format!("action=\"/admin/shipments/{unsynced}/order\"")), "an order's own parcel is");

    let token = shipment::Entity::find_by_id(id).one(db).await.unwrap().unwrap().tracking_token;
    let public = app.get_public(&format!("/track/{token}")).await.text().await.unwrap();
    assert!(public.contains(&format!("/track/{}\" data-replacement", replacement.tracking_token)), "{public}");
    assert!(!public.contains("PG-EXC-1-X1"), "the customer sees a link, not our ids");
    app.cleanup().await;
});

// A sync failure is explained by the class the worker stored, not guessed from Shiprocket's
// words: the same message reads differently under another class, and Shiprocket's own words
// are shown beside it.
on_both_backends!(the_sync_problem_is_explained_by_its_stored_class, |backend: Backend| async move {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
    use shipping_domain::SyncErrorClass;
    use shipping_store::entities::shipment;
    let app = TestApp::on(backend).env("SHIPROCKET_AUTO_SYNC", "false").start().await;
    app.expect_jobs();
    let id = app.post("/v1/orders", &order("PG-CLASS-1")).await.json::<Value>().await.unwrap()["shipment_id"]
        .as_i64()
        .unwrap();
    let (_, sid) = sign_in(&app, ADMIN_PASSWORD).await;
    let sid = sid.unwrap();
    let db = app.state.store.db();
    for (class, expected) in [
        (Some(SyncErrorClass::PickupLocation), SyncErrorClass::PickupLocation),
        (Some(SyncErrorClass::Refused), SyncErrorClass::Refused),
        (None, SyncErrorClass::Other),
    ] {
        let mut s = shipment::Entity::find_by_id(id).one(db).await.unwrap().unwrap().into_active_model();
        s.sync_status = Set("failed".into());
        s.sync_error = Set(Some("Oops! Invalid Data. pickup_location: Wrong Pickup location entered".into()));
        s.sync_error_class = Set(class.map(|c| c.code().to_owned()));
        s.update(db).await.unwrap();
        let page = admin_get(&app, &sid, &format!("/admin/shipments/{id}")).await.text().await.unwrap();
        // Up to the first apostrophe: the page escapes it.
        let sentence = |c: SyncErrorClass| c.explanation().split('\'').next().unwrap().to_owned();
        assert!(sentence(expected).len() > 20 && page.contains(&sentence(expected)), "{class:?}: {page}");
        for other in [SyncErrorClass::PickupLocation, SyncErrorClass::Refused, SyncErrorClass::Other] {
            assert!(other == expected || !page.contains(&sentence(other)), "{class:?} also reads as {other:?}");
        }
        assert!(page.contains("Wrong Pickup location entered"), "Shiprocket's words are kept");
        // Operators read words, the stored name stays for scripts.
        assert!(page.contains("<dd data-sync=\"failed\">Failed</dd>"), "{page}");
    }
    app.cleanup().await;
});
