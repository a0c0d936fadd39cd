// MLNetExt benchmarks. Usage: dotnet run -c Release --project bench/MLNetExt.Benchmarks -- <suite> [runs]
//   ece          binned ECE over 10 million binary predictions: the span kernel against numpy's bincount ECE
//                (bench/ece_numpy.py, timed run for run beside it), EvaluateCalibration against a bare cursor pass
//                and ML.NET's evaluators (binary 10M rows, multiclass 2M x 10)
//   calibmemory  peak RSS of the calibration evaluators and calibrators on 20 million generated rows, each in a
//                fresh child process, against the bytes of the columns they read
//   calibrators  fit and transform time of MLNetExt's binary calibrators against ML.NET's Platt and isotonic
//                calibrators on 1 million scored rows; multiclass temperature scaling on CIFAR-10 softmax outputs
//   persistence  the persistence choice: MLNetExt's loader bridge against the same temperature expressed as
//                ML.NET's own Expression transform (save, load, transform, file size, bit identity, typed state)
//   libsvm       LoadFromLibSvm's MB/s on a ~200 MB MSLR-like file; ML.NET's LoadFromSvmLightFile where it works
//   largestate   a 1 GiB float state saved with Model.Save and loaded with Model.Load, each in a fresh child process:
//                peak RSS against the state size and MB/s, also for the MLNetExt envelope alone
//   rankeval     ranking evaluation of 1 million rows in 10,000 queries: EvaluateRanking against ML.NET's
//                Ranking.Evaluate, and the span function's queries per second and allocations
//   covariateshift  the paper's covariate-shift protocol on four bundled sets: logistic regression unweighted and
//                weighted (KMM, domain classifier) against DW-GCS (0-1 and log loss), its bound, fit seconds
//   covariateshift-scale  DW-GCS and the weights on synthetic 1k+1k, 10k+10k, 100k+100k rows: seconds, peak memory
//   covariateshift-reference  DW-GCS against a cvxopt/HiGHS port of the authors' DWGCS.py (reference/dwgcs_reference.py,
//                /usr/bin/python3) on the protocol's splits: errors, bounds, chosen D, with the paper's settings and our defaults
//   riskscores   integer risk scores: 5-fold CV of Fast and Certified mode, FasterRisk beside them on the same folds
//                (MLNETEXT_FASTERRISK=<its src folder>), a rounded L1-logistic baseline; proofs of the golden optima
//   ranking      boosted rankers (ours, ML.NET LightGbm, ML.NET FastTree) at equal settings on the LTR sample and a
//                generated MSLR-shaped set of 1,000 and 10,000 queries: NDCG@k, fit seconds, s/tree, peak memory, each
//                fit in a fresh process (runs default to 1 here: a 10,000-query fit takes about a minute)
//   neural       neural ranking (MLNetExt.TorchSharp): every loss on data/ltr and a synthetic MSLR-shaped set, NDCG@k,
//                seconds per epoch, ECE; allRank's epoch beside ours when ALLRANK_DIR is set (neural [ltrEpochs] [synthEpochs])
//   neural-loss  NeuralNDCG's forward and backward on one minibatch of 64 lists of 150, and its parts
//   pruning      EL2N / GraNd / random data pruning on letter-recognition: LightGbm and MLP test accuracy at 10-70 % pruned,
//                label-noise detection, scoring seconds per 10,000 rows (pruning [seeds] [fractions|none] [nonoise],
//                default 3 seeds, fractions 0.1,0.2,...,0.7, label noise on)
//   labelproportions  binary classifiers from bag proportions (MLNetExt.TorchSharp): every loss, linear and MLP, random
//                bags of 1-128 and feature-dependent bags of 32 on mushroom and letter (A-M vs N-Z); test AUC, ECE, fit
//                seconds (labelproportions [seeds] [sets] [models])
//   all          every suite
using MLNetExt.Benchmarks;

string suite = args.Length > 0 ? args[0] : "all";
if (suite == "neural")
{
    if (args.Length > 1)
        NeuralRankingSuite.LtrEpochs = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
    if (args.Length > 2)
        NeuralRankingSuite.SyntheticEpochs = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
}
else if (suite == "pruning")
{
    if (args.Length > 1)
        PruningSuite.Seeds = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
    if (args.Length > 2)
        PruningSuite.PruneFractions = args[2] == "none" ? [] : Array.ConvertAll(args[2].Split(','), f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture));
    if (args.Length > 3)
        PruningSuite.LabelNoiseEnabled = args[3] != "nonoise";
}
else if (suite == "labelproportions")
    LabelProportionsSuite.Configure(args);
else if (args.Length > 1)
    Harness.Runs = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
else if (suite == "ranking")
    Harness.Runs = 1;
Console.WriteLine($"MLNetExt benchmarks, suite '{suite}', {Environment.ProcessorCount} cores, .NET {Environment.Version}");
var suites = new Dictionary<string, Action>
{
    ["ece"] = EceSuite.Run,
    ["calibrators"] = CalibratorSuite.Run,
    ["calibmemory"] = CalibrationMemorySuite.Run,
    ["persistence"] = PersistenceSuite.Run,
    ["libsvm"] = LibSvmSuite.Run,
    ["largestate"] = LargeStateSuite.Run,
    ["rankeval"] = RankingEvaluationSuite.Run,
    ["covariateshift"] = CovariateShiftSuite.Run,
    ["covariateshift-scale"] = CovariateShiftSuite.RunScale,
    ["covariateshift-reference"] = CovariateShiftReferenceSuite.Run,
    ["riskscores"] = RiskScoreSuite.Run,
    ["ranking"] = RankingSuite.Run,
    ["neural"] = NeuralRankingSuite.Run,
    ["neural-loss"] = NeuralLossProfile.Run,
    ["pruning"] = PruningSuite.Run,
    ["labelproportions"] = LabelProportionsSuite.Run,
};
if (suite == "all")
{
    foreach (var run in suites.Values)
        run();
    return 0;
}
if (!suites.TryGetValue(suite, out var action))
{
    Console.Error.WriteLine($"Unknown suite '{suite}'; expected one of: {string.Join(", ", suites.Keys)}, all.");
    return 2;
}
action();
return 0;
