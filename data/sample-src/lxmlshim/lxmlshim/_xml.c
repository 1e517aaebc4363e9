/* egg-migrate sample: lxmlshim._xml, linked against libxml2 (-lxml2), a
 * library outside every manylinux policy.
 *
 * parser_version() -> libxml2's runtime xmlParserVersion, e.g. "20914"
 * root_name(data)  -> the name of the root element of the XML document data
 */
#include <Python.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

static PyObject *
xml_parser_version(PyObject *self, PyObject *noargs)
{
    LIBXML_TEST_VERSION
    return Py_BuildValue("s", xmlParserVersion);
}

static PyObject *
xml_root_name(PyObject *self, PyObject *args)
{
    const char *data;
    Py_ssize_t size;
    xmlDocPtr doc;
    xmlNodePtr root;
    PyObject *result;

#if PY_MAJOR_VERSION >= 3
    if (!PyArg_ParseTuple(args, "y#:root_name", &data, &size))
#else
    if (!PyArg_ParseTuple(args, "s#:root_name", &data, &size))
#endif
        return NULL;
    doc = xmlReadMemory(data, (int)size, "input.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        PyErr_SetString(PyExc_ValueError, "not well-formed XML");
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (root == NULL) {
        xmlFreeDoc(doc);
        PyErr_SetString(PyExc_ValueError, "XML document has no root element");
        return NULL;
    }
    result = Py_BuildValue("s", (const char *)root->name);
    xmlFreeDoc(doc);
    return result;
}

static PyMethodDef xml_methods[] = {
    {"parser_version", xml_parser_version, METH_NOARGS, "parser_version() -> str"},
    {"root_name", xml_root_name, METH_VARARGS, "root_name(data) -> str"},
    {NULL, NULL, 0, NULL}
};

#if PY_MAJOR_VERSION >= 3
static struct PyModuleDef xml_module = {
    PyModuleDef_HEAD_INIT, "lxmlshim._xml", NULL, -1, xml_methods
};

PyMODINIT_FUNC
PyInit__xml(void)
{
    return PyModule_Create(&xml_module);
}
#else
PyMODINIT_FUNC
init_xml(void)
{
    Py_InitModule("lxmlshim._xml", xml_methods);
}
#endif
