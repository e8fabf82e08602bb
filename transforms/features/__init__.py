"""feature-engine's catalogue as persistable Spark ML stages.

Every stage works on many columns (``inputCols``; ``outputCols`` defaults to in place), learns
its statistics for all columns in one aggregation pass, transforms with plain Spark column
expressions (no Python UDF), and saves/loads with the default Params persistence, so it can
sit inside a ``PipelineModel`` logged with ``mlflow.spark``.
"""

from transforms.features.dates import (
    CyclicalFeatures,
    CyclicalFeaturesModel,
    DatePartExtractor,
    ElapsedTime,
)
from transforms.features.discretisation import (
    ArbitraryDiscretiser,
    EqualFrequencyDiscretiser,
    EqualFrequencyDiscretiserModel,
    EqualWidthDiscretiser,
    EqualWidthDiscretiserModel,
)
from transforms.features.encoding import (
    CountFrequencyEncoder,
    CountFrequencyEncoderModel,
    MeanEncoder,
    MeanEncoderModel,
    OneHotEncoder,
    OneHotEncoderModel,
    OrdinalEncoder,
    OrdinalEncoderModel,
    RareLabelEncoder,
    RareLabelEncoderModel,
    WoEEncoder,
    WoEEncoderModel,
)
from transforms.features.imputation import (
    ArbitraryNumberImputer,
    CategoricalImputer,
    CategoricalImputerModel,
    EndTailImputer,
    EndTailImputerModel,
    MeanMedianImputer,
    MeanMedianImputerModel,
    MissingIndicator,
)
from transforms.features.outliers import (
    OutlierTrimmer,
    OutlierTrimmerModel,
    Winsorizer,
    WinsorizerModel,
)
from transforms.features.transformation import (
    BoxCoxTransformer,
    BoxCoxTransformerModel,
    LogCpTransformer,
    LogCpTransformerModel,
    LogTransformer,
    PowerTransformer,
    YeoJohnsonTransformer,
    YeoJohnsonTransformerModel,
)
from transforms.features.value_map import ValueMapper

__all__ = [
    "ArbitraryDiscretiser",
    "ArbitraryNumberImputer",
    "BoxCoxTransformer",
    "BoxCoxTransformerModel",
    "CategoricalImputer",
    "CategoricalImputerModel",
    "CountFrequencyEncoder",
    "CountFrequencyEncoderModel",
    "CyclicalFeatures",
    "CyclicalFeaturesModel",
    "DatePartExtractor",
    "ElapsedTime",
    "EndTailImputer",
    "EndTailImputerModel",
    "EqualFrequencyDiscretiser",
    "EqualFrequencyDiscretiserModel",
    "EqualWidthDiscretiser",
    "EqualWidthDiscretiserModel",
    "LogCpTransformer",
    "LogCpTransformerModel",
    "LogTransformer",
    "MeanEncoder",
    "MeanEncoderModel",
    "MeanMedianImputer",
    "MeanMedianImputerModel",
    "MissingIndicator",
    "OneHotEncoder",
    "OneHotEncoderModel",
    "OrdinalEncoder",
    "OrdinalEncoderModel",
    "OutlierTrimmer",
    "OutlierTrimmerModel",
    "PowerTransformer",
    "RareLabelEncoder",
    "RareLabelEncoderModel",
    "ValueMapper",
    "Winsorizer",
    "WinsorizerModel",
    "WoEEncoder",
    "WoEEncoderModel",
    "YeoJohnsonTransformer",
    "YeoJohnsonTransformerModel",
]
