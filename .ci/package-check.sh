#!/usr/bin/env bash
# Packs every src/ project, checks the packages' metadata, and installs MLNetExt from a local folder feed into a
# fresh console app (outside this repository, so none of its build files apply), which evaluates calibration and
# saves and reloads a calibrator: the package works as a user consumes it. The app is restored, built and run twice,
# next to an explicit reference to the oldest and to the newest supported Microsoft.ML, with warnings as errors, so
# the declared range is checked as an ML.NET 5 and an ML.NET 6 app meet it (NU1608 outside it). Each app then loads
# the model the other saved: the typed state and the outputs must be bit-identical across the two versions.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A version of its own, so the NuGet cache can never hand back an older package of the same version.
version="0.1.0-ci.$(date +%s).$$"
# The supported Microsoft.ML range, [minimum, maximum], from Directory.Packages.props.
read -r ml_min ml_max < <(dotnet msbuild src/MLNetExt/MLNetExt.csproj -getProperty:MicrosoftMLMinimumVersion \
  -getProperty:MicrosoftMLMaximumVersion | python3 -c 'import json, sys; p = json.load(sys.stdin)["Properties"]; print(p["MicrosoftMLMinimumVersion"], p["MicrosoftMLMaximumVersion"])')
[[ -n ${ml_max:-} ]] || { echo "package-check: could not read the Microsoft.ML range from Directory.Packages.props"; exit 1; }

for project in src/*/*.csproj; do
  dotnet pack "$project" -c Release -o "$work/feed" -p:Version="$version" --nologo -v q
done

python3 - "$work/feed" "$version" "$ml_min" "$ml_max" <<'PY'
import sys, zipfile, glob, os, re
feed, version, ml_min, ml_max = sys.argv[1:5]
packages = sorted(glob.glob(os.path.join(feed, "*.nupkg")))
assert packages, "no packages were produced"
for path in packages:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        nuspec = z.read(next(n for n in names if n.endswith(".nuspec"))).decode()
        pid = re.search(r"<id>(.*?)</id>", nuspec).group(1)
        for tag in ("description", "license", "readme", "authors"):
            assert re.search(f"<{tag}[ >]", nuspec), f"{pid}: no <{tag}> in the nuspec"
        assert "README.md" in names, f"{pid}: README.md is not packed"
        assert f"lib/net8.0/{pid}.dll" in names, f"{pid}: lib/net8.0/{pid}.dll missing"
        assert f"lib/net8.0/{pid}.xml" in names, f"{pid}: XML documentation missing"
        deps = re.findall(r'<dependency id="(.*?)" version="(.*?)"', nuspec)
        assert not any(d[0] in ("Publicizer", "Mono.Cecil") for d in deps), f"{pid}: build-only dependency leaked: {deps}"
        if pid == "MLNetExt":
            assert ("Microsoft.ML", f"[{ml_min}, {ml_max}]") in deps, f"MLNetExt must depend on Microsoft.ML [{ml_min}, {ml_max}]: {deps}"
            assert not any(d[0].startswith(("ScottPlot", "SkiaSharp", "TorchSharp", "Google.OrTools")) for d in deps), deps
        for dep, ver in deps:
            if dep.startswith("MLNetExt"):
                assert ver == f"[{version}]", f"{pid} must depend on {dep} [{version}] exactly (shared internals): {ver}"
        print(f"package-check: {pid} {version}: dependencies {', '.join(f'{d[0]} {d[1]}' for d in deps)}")
PY

# The consumer app, for one Microsoft.ML version: its own folder (so nothing is shared between the two restores).
check_app() {
  local ml="$1" app="$work/app-$1"
  mkdir -p "$app"
  cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
  cat > "$app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <!-- NU1608 (a dependency outside MLNetExt's declared Microsoft.ML range) and every other warning fail the build. -->
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MLNetExt" Version="$version" />
    <PackageReference Include="Microsoft.ML" Version="$ml" />
  </ItemGroup>
</Project>
XML
  cat > "$app/Program.cs" <<'CS'
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Calibration;

// "save <path>": evaluate, fit, save, reload in a fresh context; "load <path>": load a model another app saved.
// Both print the model's state and outputs bit for bit.
string mode = args[0], path = args[1];
var mlContext = new MLContext(seed: 1);
float[] p = [0.0f, 0.1f, 0.25f, 0.4f, 0.5f, 0.6f, 0.75f, 0.9f, 1.0f, 1.0f];
bool[] y = [false, false, true, false, true, true, false, true, true, false];
var data = mlContext.Data.LoadFromEnumerable(p.Select((v, i) => new Row { Label = y[i], Probability = v, Score = 4 * v - 2 }));
BinaryTemperatureScalingTransformer model;
if (mode == "save")
{
    var metrics = mlContext.BinaryClassification.EvaluateCalibration(data, options: new CalibrationEvaluatorOptions { NumberOfBins = 4 });
    Console.WriteLine($"ECE={metrics.ExpectedCalibrationError:0.000000}");
    model = mlContext.BinaryClassification.Calibrators.TemperatureScaling().Fit(data);
    mlContext.Model.Save(model, data.Schema, path);
    var reloaded = (BinaryTemperatureScalingTransformer)new MLContext().Model.Load(path, out _);
    Console.WriteLine(reloaded.Temperature == model.Temperature ? "RELOAD=OK" : "RELOAD=DIFFERENT");
}
else
{
    model = (BinaryTemperatureScalingTransformer)new MLContext().Model.Load(path, out _);
}
Console.WriteLine($"STATE={BitConverter.DoubleToInt64Bits(model.Temperature):X16}");
var outputs = model.Transform(data).GetColumn<float>("Probability").Select(v => BitConverter.SingleToInt32Bits(v).ToString("X8"));
Console.WriteLine($"OUTPUT={string.Join(",", outputs)}");
string? mlnet = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
Console.WriteLine($"MLNET={mlnet?.Split('+')[0]}");

sealed class Row
{
    public bool Label { get; set; }
    public float Probability { get; set; }
    public float Score { get; set; }
}
CS
  local output
  output=$(cd "$app" && dotnet run -- save "$work/model-$ml.zip" 2>&1) || { echo "$output"; echo "package-check: the app with Microsoft.ML $ml failed"; return 1; }
  echo "$output" | grep -E '^(ECE|RELOAD|MLNET)='
  grep -qx "ECE=0.300000" <<<"$output" || { echo "package-check: unexpected ECE with Microsoft.ML $ml"; return 1; }
  grep -qx "RELOAD=OK" <<<"$output" || { echo "package-check: save/load through the package failed with Microsoft.ML $ml"; return 1; }
  grep -qx "MLNET=$ml" <<<"$output" || { echo "package-check: the app did not run on Microsoft.ML $ml"; return 1; }
  grep -E '^(STATE|OUTPUT)=' <<<"$output" > "$work/saved-$ml.txt"
  [[ $(wc -l < "$work/saved-$ml.txt") -eq 2 ]] || { echo "package-check: the app with Microsoft.ML $ml printed no state or outputs"; return 1; }
  echo "package-check: MLNetExt $version with Microsoft.ML $ml installed from a folder feed into a fresh app and ran"
}

# The app built for Microsoft.ML $1 loads the model saved by the one for $2; state and outputs as $2 printed them.
cross_load() {
  local output
  output=$(cd "$work/app-$1" && dotnet run --no-build -- load "$work/model-$2.zip" 2>&1) || { echo "$output"; echo "package-check: Microsoft.ML $1 could not load the model saved with $2"; return 1; }
  diff <(grep -E '^(STATE|OUTPUT)=' <<<"$output") "$work/saved-$2.txt" \
    || { echo "package-check: the model saved with Microsoft.ML $2 gives other state or outputs on $1"; return 1; }
  echo "package-check: the model saved with Microsoft.ML $2 loads on $1 with bit-identical state and outputs"
}

check_app "$ml_min"
check_app "$ml_max"
cross_load "$ml_min" "$ml_max"
cross_load "$ml_max" "$ml_min"
