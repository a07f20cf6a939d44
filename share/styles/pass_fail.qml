<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" readOnly="0" labelsEnabled="0" simplifyAlgorithm="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" symbologyReferenceScale="-1">
  <!-- platsa template share/styles/pass_fail.qml: categorised on an integer field, 1 = passes, 0 = fails.
       The category with value "" is QGIS's catch-all; it is what NULL values match.
       Placeholders (filled by gis/gpkg_writer.c): @ATTR@ quoted field name, @SYMBOL_PASS@ symbol "0"
       (green), @SYMBOL_FAIL@ symbol "1" (red), @SYMBOL_NULL@ symbol "2" (grey), @SOURCE_SYMBOL@,
       @ALIASES@ Swedish field aliases, @GEOMETRY_TYPE@ 0 point, 1 line, 2 polygon. -->
  <flags>
    <Identifiable>1</Identifiable>
    <Removable>1</Removable>
    <Searchable>1</Searchable>
    <Private>0</Private>
  </flags>
  <renderer-v2 type="categorizedSymbol" attr="@ATTR@" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
    <categories>
      <category symbol="0" value="1" label="uppfyller" render="true"/>
      <category symbol="1" value="0" label="uppfyller inte" render="true"/>
      <category symbol="2" value="" label="uppgift saknas" render="true"/>
    </categories>
    <symbols>
@SYMBOL_PASS@
@SYMBOL_FAIL@
@SYMBOL_NULL@
    </symbols>
    <source-symbol>
@SOURCE_SYMBOL@
    </source-symbol>
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
