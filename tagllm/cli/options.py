"""The options two or more commands share, each declared once as an ``Annotated`` alias so that their help cannot
drift apart; an option whose meaning differs between commands (``index build --index`` writes the index that
``generate --index`` reads) stays declared by its command."""

from __future__ import annotations

from typing import Annotated

import typer

FORMAT = "[jsonl|csv|parquet]"

# the settings file, the taxonomy and the example index the tagger is set up from
ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", "-c", metavar="FILE", help="config file (default: ./tagllm.yaml when present)"),
]
TAXONOMY_HELP = "taxonomy file, directory or name (demo, shopify)"
TaxonomyOpt = Annotated[  # a tagger opening an index tags against the taxonomy the index was built for
    str | None, typer.Option("--taxonomy", "-t", metavar="NAME|PATH", help=f"{TAXONOMY_HELP}; default: the index's")
]
ConfigTaxonomyOpt = Annotated[  # commands with no index to read it from
    str | None,
    typer.Option(
        "--taxonomy",
        "-t",
        metavar="NAME|PATH",
        help=f"{TAXONOMY_HELP}; default: the config file's (./tagllm.yaml), else demo",
    ),
]
ExamplesOpt = Annotated[
    str | None, typer.Option(metavar="FILE", help="labelled products the example index is built from")
]
IndexOpt = Annotated[str | None, typer.Option(metavar="DIR", help="example index directory (tagllm index build)")]
LABEL_FIELD_HELP = "field of the examples holding their tags: labels {facet: [..]} or gold_category"
LabelFieldOpt = Annotated[str | None, typer.Option(metavar="FIELD", help=LABEL_FIELD_HELP)]
ATTRIBUTE_FIELD_HELP = 'field of the examples holding "Key: Value" attribute tags (e.g. gold_attribute_tags)'
AttributeFieldOpt = Annotated[str | None, typer.Option(metavar="FIELD", help=ATTRIBUTE_FIELD_HELP)]
IgnoreFieldsOpt = Annotated[
    str | None,
    typer.Option(
        "--ignore-fields",
        metavar="FIELD,…",
        help="description, brand, attributes, queries: fields not read, in the examples and the products alike "
        "(e.g. attributes,description when the products carry titles only)",
    ),
]
KeepPrecisionOpt = Annotated[
    float | None,
    typer.Option(metavar="0.5..1", help="precision an attribute's kept values aim at (default 0.9; lower keeps more)"),
]

# how a products (or examples) file is read
ExamplesArg = Annotated[str, typer.Argument(help="labelled products: JSONL, CSV or Parquet")]
InputFormatOpt = Annotated[str | None, typer.Option(metavar=FORMAT, help="default: from the input file's extension")]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="FIELD=COLUMN,…",
        help="input columns to read as product fields, e.g. "
        'id=SKU,title=Name,description="Long description",brand=Maker (a Shopify product export is read without them)',
    ),
]
ExampleColumnsOpt = Annotated[  # an example's label field can be mapped too, and no Shopify export holds examples
    str | None,
    typer.Option(metavar="FIELD=COLUMN,…", help="input columns to read as fields, the label field among them"),
]

# the embedder and the photos
EMBEDDER_HELP = "sentence-transformers model directory"
DeviceOpt = Annotated[str | None, typer.Option(metavar="DEVICE", help="cpu, cuda, cuda:1 …")]
EmbedderBackendOpt = Annotated[
    str | None,
    typer.Option(
        help="auto | torch | onnx | onnx-fp32 | openvino: what runs the embedder (auto: onnx-fp32 on a CPU when "
        "installed)"
    ),
]
ImageEmbedderOpt = Annotated[
    str | None,
    typer.Option(
        "--image-embedder",
        metavar="pixels|DIR|none",
        help="photos: pixels (built in, the default with photos), a CLIP/SigLIP directory, none",
    ),
]
AllowRemoteOpt = Annotated[
    bool, typer.Option("--allow-remote-images", help="fetch http(s) image URLs (off unless given)")
]
ImageRootOpt = Annotated[
    str | None,
    typer.Option("--image-root", metavar="DIR", help="where relative image paths start (default: beside the file)"),
]

# what the tagger is asked
FacetsOpt = Annotated[
    list[str],
    typer.Option("--facet", "-f", metavar="FACET", help="facet to tag (repeatable; default: the labelled ones)"),
]
KOpt = Annotated[int | None, typer.Option(metavar="N", help="neighbours retrieved per product")]
MaxCandidatesOpt = Annotated[int | None, typer.Option(metavar="N", help="candidates per facet offered to the backend")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model", "-m", metavar="DIR|NAME", help="model directory (transformers, vllm) or served model name (openai)"
    ),
]
BaseUrlOpt = Annotated[str | None, typer.Option(metavar="URL", help="OpenAI-compatible server URL (openai backend)")]
PromptOpt = Annotated[
    str | None, typer.Option("--prompt", "-p", metavar="NAME|PATH", help="prompt template (LLM backends)")
]
BuildQuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress on stderr")]
