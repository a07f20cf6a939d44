<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" readOnly="0" labelsEnabled="0" simplifyAlgorithm="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" symbologyReferenceScale="-1">
  <!-- platsa template share/styles/graduated.qml: graduated colours on one numeric field.
       Placeholders (filled by gis/gpkg_styles.c): @ATTR@ renderer attribute (an expression that maps
       NULL to a sentinel so NULL features get their own grey class), @RANGES@ one <range> per class,
       @SYMBOLS@ one symbol per class (from symbol_fill/marker/line.qml), @SOURCE_SYMBOL@,
       @ALIASES@ Swedish field aliases, @GEOMETRY_TYPE@ 0 point, 1 line, 2 polygon. -->
  <flags>
    <Identifiable>1</Identifiable>
    <Removable>1</Removable>
    <Searchable>1</Searchable>
    <Private>0</Private>
  </flags>
  <renderer-v2 type="graduatedSymbol" attr="@ATTR@" graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
    <ranges>
@RANGES@
    </ranges>
    <symbols>
@SYMBOLS@
    </symbols>
    <source-symbol>
@SOURCE_SYMBOL@
    </source-symbol>
    <classificationMethod id="Custom">
      <symmetricMode enabled="0" symmetrypoint="0" astride="0"/>
      <labelFormat format="%1 - %2" labelprecision="1" trimtrailingzeroes="1"/>
      <parameters>
        <Option/>
      </parameters>
      <extraInformation/>
    </classificationMethod>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <aliases>
@ALIASES@
  </aliases>
  <layerGeometryType>@GEOMETRY_TYPE@</layerGeometryType>
</qgis>
