//! `--params` parsing.

use kedrust_config::parse_runtime_params;
use serde_json::json;

#[test]
fn values_are_typed_as_yaml_and_dotted_keys_nest() {
    let v = parse_runtime_params(
        "a.b=1,model.kind=linear,flag=true,rate=0.5,empty=,list=[1, 2],none=null",
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"a": {"b": 1}, "model": {"kind": "linear"}, "flag": true, "rate": 0.5, "empty": "", "list": [1, 2], "none": null})
    );
}

#[test]
fn every_bad_item_is_reported() {
    let errors = parse_runtime_params("ok=1,=2,a..b=3").unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "--params: cannot read '=2': the key is empty or has an empty part",
            "--params: cannot read 'a..b=3': the key is empty or has an empty part",
        ]
    );
}
