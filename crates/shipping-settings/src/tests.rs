#![allow(clippy::unwrap_used)]
use super::*;
use serde::Deserialize;

const DEFAULTS: &str = r#"
# A commented defaults file.
[database]
url = "sqlite://default.db"
max_connections = 16
[auth]
api_keys = []
[nested.deeper]
flag = false
"#;

#[derive(Debug, Deserialize)]
struct Toy {
    database: Database,
    auth: Auth,
    nested: Nested,
}
#[derive(Debug, Deserialize)]
struct Database {
    url: String,
    max_connections: u32,
}
#[derive(Debug, Deserialize)]
struct Auth {
    api_keys: Vec<String>,
}
#[derive(Debug, Deserialize)]
struct Nested {
    deeper: Deeper,
}
#[derive(Debug, Deserialize)]
struct Deeper {
    flag: bool,
}

const LAYERS: Layers = Layers {
    defaults: DEFAULTS,
    file_variable: "TOY_CONFIG",
    aliases: &[("DATABASE_URL", "database.url"), ("API_KEYS", "auth.api_keys")],
    list_keys: &["auth.api_keys"],
};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn file(contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("shipping-settings-{}-{}.toml", std::process::id(), contents.len()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn defaults_then_file_then_alias_then_specific_key() {
    let toy: Toy = LAYERS.load_from(&HashMap::new()).unwrap();
    assert_eq!((toy.database.url.as_str(), toy.database.max_connections), ("sqlite://default.db", 16));
    let path = file("[database]\nurl = \"from-file\"\nmax_connections = 4\n");
    let with_file = |pairs: &[(&str, &str)]| {
        let mut e = env(pairs);
        e.insert("TOY_CONFIG".into(), path.display().to_string());
        LAYERS.load_from::<Toy>(&e).unwrap()
    };
    assert_eq!(with_file(&[]).database.url, "from-file");
    assert_eq!(with_file(&[]).database.max_connections, 4);
    assert_eq!(with_file(&[("DATABASE_URL", "alias")]).database.url, "alias", "an alias beats the file");
    let both = with_file(&[("DATABASE_URL", "alias"), ("SHIPPING__DATABASE__URL", "specific")]);
    assert_eq!(both.database.url, "specific", "the specific key beats the alias");
    assert_eq!(both.database.max_connections, 4, "the file still gives what the environment does not");
    let nested: Toy = LAYERS.load_from(&env(&[("SHIPPING__NESTED__DEEPER__FLAG", "true")])).unwrap();
    assert!(nested.nested.deeper.flag);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn values_stay_strings_until_read_and_lists_split() {
    let toy: Toy = LAYERS
        .load_from(&env(&[("SHIPPING__DATABASE__URL", "0123"), ("SHIPPING__DATABASE__MAX_CONNECTIONS", "8")]))
        .unwrap();
    assert_eq!(toy.database.url, "0123", "a numeric-looking string is not turned into a number");
    assert_eq!(toy.database.max_connections, 8);
    let keys = |v: &str| LAYERS.load_from::<Toy>(&env(&[("API_KEYS", v)])).unwrap().auth.api_keys;
    assert_eq!(keys("k1,k2"), ["k1", "k2"]);
    assert_eq!(keys("12345"), ["12345"], "one numeric key is still a list");
    assert!(keys("").is_empty(), "an empty value is an empty list");
}

#[test]
fn errors_name_the_setting_and_where_it_came_from() {
    let e = LAYERS.load_from::<Toy>(&env(&[("SHIPPING__DATABASE__MAX_CONNECTIONS", "lots")])).unwrap_err();
    assert_eq!(e.key(), Some("database.max_connections"));
    assert!(matches!(&e, SettingsError::Invalid { origin: Some(o), .. } if o == "SHIPPING__DATABASE__MAX_CONNECTIONS"));
    assert!(e.to_string().contains("database.max_connections"), "{e}");

    let path = file("[database]\nmax_connections = 2\n");
    let no_url = Layers { defaults: "[auth]\napi_keys = []\n[nested.deeper]\nflag = true\n", ..LAYERS };
    let e = no_url.load_from::<Toy>(&env(&[("TOY_CONFIG", &path.display().to_string())])).unwrap_err();
    assert_eq!(e, SettingsError::Missing { key: "database.url".into() });
    assert_eq!(e.to_string(), "setting `database.url` is missing");
    std::fs::remove_file(path).unwrap();

    let e = LAYERS.load_from::<Toy>(&env(&[("TOY_CONFIG", "/nonexistent/toy.toml")])).unwrap_err();
    assert!(matches!(&e, SettingsError::File { path, .. } if path == "/nonexistent/toy.toml"), "{e}");
    assert!(LAYERS.load_from::<Toy>(&env(&[("TOY_CONFIG", "")])).is_ok(), "an empty file variable names no file");
}

#[test]
fn a_field_after_an_index_gets_its_dot() {
    assert_eq!(dotted("admin.users[0]password_hash"), "admin.users[0].password_hash");
    assert_eq!(dotted("a[1][2].b"), "a[1][2].b");
}
