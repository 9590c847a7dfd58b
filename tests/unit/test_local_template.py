"""infra.local.template: short tags, Globals, functions and their events, read as SAM reads them."""

from pathlib import Path

import pytest

from infra.local.template import REPO_ROOT, TemplateError, load_template, load_yaml, merge_globals, parse_template

SAMPLE = """
Globals:
  Function:
    Runtime: python3.12
    Timeout: 15
    MemorySize: 512
    Layers:
      - !Ref CoreLayer
    Environment:
      Variables:
        FROM_GLOBALS: "yes"
        OVERRIDDEN: globals
        STAGE: !Ref Stage
Resources:
  CoreLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/core/
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/api/
      Handler: app.handler
      Timeout: 29
      Layers:
        - !Ref ExtraLayer
      Environment:
        Variables:
          OVERRIDDEN: function
          PORT: 8080
          DEBUG: false
          QUEUE_URL: !GetAtt JobsQueue.QueueUrl
      Events:
        GetProduct:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: /products/{id}
            Method: get
        Everything:
          Type: HttpApi
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt JobsQueue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
        Connect:
          Type: WebSocket
          Properties:
            Route: $connect
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-jobs.fifo"
"""


@pytest.fixture
def sample(tmp_path: Path):
    (tmp_path / "functions" / "api").mkdir(parents=True)
    return parse_template(SAMPLE, root=tmp_path)


def test_short_tags_load_as_their_long_forms():
    doc = load_yaml(
        """
a: !Ref Stage
b: !Sub "x-${Stage}"
c: !Sub ["${A}-b", {A: !Ref Stage}]
d: !GetAtt Queue.Arn
e: !GetAtt [Queue, QueueUrl]
f: !Join [",", [a, !Ref B]]
g: !If [IsProd, 1, !Ref AWS::NoValue]
h: !Select [0, !GetAZs ""]
i: !Equals [!Ref Stage, prod]
"""
    )
    assert doc["a"] == {"Ref": "Stage"}
    assert doc["b"] == {"Fn::Sub": "x-${Stage}"}
    assert doc["c"] == {"Fn::Sub": ["${A}-b", {"A": {"Ref": "Stage"}}]}
    assert doc["d"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert doc["e"] == {"Fn::GetAtt": ["Queue", "QueueUrl"]}
    assert doc["f"] == {"Fn::Join": [",", ["a", {"Ref": "B"}]]}
    assert doc["g"] == {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}
    assert doc["h"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
    assert doc["i"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_an_unknown_tag_is_refused():
    with pytest.raises(TemplateError, match="!Nope"):
        load_yaml("a: !Nope x")


def test_globals_merge_maps_add_lists_and_let_the_function_win():
    merged = merge_globals(
        {"Timeout": 15, "Layers": [{"Ref": "Core"}], "Environment": {"Variables": {"A": "1", "B": "g"}}},
        {"Timeout": 29, "Layers": [{"Ref": "Extra"}], "Environment": {"Variables": {"B": "f"}}},
    )
    assert merged["Timeout"] == 29
    assert merged["Layers"] == [{"Ref": "Core"}, {"Ref": "Extra"}]
    assert merged["Environment"]["Variables"] == {"A": "1", "B": "f"}


def test_an_intrinsic_replaces_a_global_map_rather_than_merging_into_it():
    merged = merge_globals({"VpcConfig": {"SubnetIds": ["a"]}}, {"VpcConfig": {"Ref": "NoVpc"}})
    assert merged["VpcConfig"] == {"Ref": "NoVpc"}


def test_functions_get_globals_and_literal_environment_only(sample, tmp_path):
    [function] = sample.functions
    assert function.logical_id == "ApiFunction"
    assert function.code_uri == (tmp_path / "functions" / "api").resolve()
    assert function.handler == "app.handler"
    assert function.module_file == function.code_uri / "app.py"
    assert function.handler_name == "handler"
    assert (function.timeout, function.memory_size) == (29, 512)
    assert function.environment == {
        "FROM_GLOBALS": "yes",
        "OVERRIDDEN": "function",
        "PORT": "8080",
        "DEBUG": "false",
    }
    assert function.properties["Layers"] == [{"Ref": "CoreLayer"}, {"Ref": "ExtraLayer"}]


def test_events_are_listed_with_their_raw_properties(sample):
    function = sample.function("ApiFunction")
    assert [(e.name, e.type) for e in function.events] == [
        ("GetProduct", "HttpApi"),
        ("Everything", "HttpApi"),
        ("Jobs", "SQS"),
        ("Nightly", "ScheduleV2"),
        ("Connect", "WebSocket"),
    ]
    [jobs] = function.events_of_type("SQS")
    assert jobs.properties["Queue"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    assert jobs.properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    [nightly] = function.events_of_type("ScheduleV2")
    assert nightly.properties["ScheduleExpression"] == "cron(0 3 * * ? *)"


def test_http_routes_upper_case_the_method_and_a_bare_event_is_default(sample):
    routes = sample.http_routes()
    assert [(r.route_key, r.function_id, r.event_name) for r in routes] == [
        ("GET /products/{id}", "ApiFunction", "GetProduct"),
        ("$default", "ApiFunction", "Everything"),
    ]


def test_a_makefile_function_without_its_folder_is_an_error(tmp_path):
    text = """
Resources:
  ReportsFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler}
    Metadata: {BuildMethod: makefile}
"""
    with pytest.raises(TemplateError, match="functions/reports"):
        parse_template(text, root=tmp_path)
    (tmp_path / "functions" / "reports").mkdir(parents=True)
    assert parse_template(text, root=tmp_path).functions[0].code_uri == (tmp_path / "functions" / "reports").resolve()


def test_the_project_template():
    template = load_template()
    health = template.function("HealthFunction")
    assert health.code_uri == REPO_ROOT / "functions" / "health"
    assert [r.route_key for r in health.http_routes()] == ["GET /health"]
    # !Ref values only mean something on AWS; quoted literals come through.
    assert "STOFLOW_ENVIRONMENT" not in health.environment
    assert health.environment["STOFLOW_DATABASE_TLS"] == "true"
    # The migrator is built by the Makefile from functions/migrator, whatever its CodeUri says.
    migrator = template.function("MigratorFunction")
    assert migrator.code_uri == REPO_ROOT / "functions" / "migrator"
    assert migrator.module_file.is_file()
    assert migrator.events == ()
